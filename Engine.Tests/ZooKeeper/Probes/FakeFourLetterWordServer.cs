using System.Net;
using System.Net.Sockets;
using System.Text;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary>A loopback listener that answers four-letter words from a table, or never answers when told to hang.</summary>
internal sealed class FakeFourLetterWordServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Dictionary<string, string> _answers;
    private readonly bool _hang;

    public FakeFourLetterWordServer(Dictionary<string, string> answers, bool hang = false)
    {
        _answers = answers;
        _hang = hang;
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public List<string> Received { get; } = [];

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                _ = Task.Run(() => ServeAsync(socket));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                var word = new byte[4];
                var read = 0;
                while (read < 4)
                {
                    var n = await socket.ReceiveAsync(word.AsMemory(read), SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    read += n;
                }

                var text = Encoding.ASCII.GetString(word);
                lock (Received)
                {
                    Received.Add(text);
                }

                if (_hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                var answer = _answers.TryGetValue(text, out var a) ? a : $"{text} is not executed because it is not in the whitelist.\n";
                await socket.SendAsync(Encoding.UTF8.GetBytes(answer), SocketFlags.None, _stop.Token);
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
