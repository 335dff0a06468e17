using System.Net.Sockets;
using System.Text;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary>A loopback listener that answers four-letter words from a table, or never answers when told to hang.</summary>
internal sealed class FakeFourLetterWordServer : LoopbackServer
{
    private readonly Dictionary<string, string> _answers;
    private readonly bool _hang;

    public FakeFourLetterWordServer(Dictionary<string, string> answers, bool hang = false)
    {
        _answers = answers;
        _hang = hang;
        Start();
    }

    protected override async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        var word = new byte[4];
        var read = 0;
        while (read < 4)
        {
            var n = await socket.ReceiveAsync(word.AsMemory(read), SocketFlags.None, stop);
            if (n == 0)
            {
                return;
            }

            read += n;
        }

        var text = Encoding.ASCII.GetString(word);
        Record(text);
        if (_hang)
        {
            await Task.Delay(Timeout.Infinite, stop);
        }

        var answer = _answers.TryGetValue(text, out var a) ? a : $"{text} is not executed because it is not in the whitelist.\n";
        await socket.SendAsync(Encoding.UTF8.GetBytes(answer), SocketFlags.None, stop);
        socket.Shutdown(SocketShutdown.Both);
    }
}
