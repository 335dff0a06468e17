using System.Net.Sockets;
using System.Text;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary>
/// A loopback listener that answers four-letter words from a table, or never answers when told to hang. <c>{peer}</c>
/// in an answer becomes the asking connection's address as Java prints it (<c>/127.0.0.1:40370</c>), as in <c>cons</c>.
/// </summary>
internal sealed class FakeFourLetterWordServer : LoopbackServer
{
    private readonly Dictionary<string, string> _answers;
    private readonly bool _hang;
    private readonly string? _hangOn;

    /// <param name="hangOn">The one word never answered; the others are.</param>
    public FakeFourLetterWordServer(Dictionary<string, string> answers, bool hang = false, string? hangOn = null)
    {
        _answers = answers;
        _hang = hang;
        _hangOn = hangOn;
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
        if (_hang || text == _hangOn)
        {
            await Task.Delay(Timeout.Infinite, stop);
        }

        var answer = _answers.TryGetValue(text, out var a) ? a.Replace("{peer}", "/" + socket.RemoteEndPoint, StringComparison.Ordinal) : $"{text} is not executed because it is not in the whitelist.\n";
        await socket.SendAsync(Encoding.UTF8.GetBytes(answer), SocketFlags.None, stop);
        socket.Shutdown(SocketShutdown.Both);
    }
}
