using System.Net;
using System.Net.Sockets;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary>A loopback listener for fake servers: accepts until disposed, serves each connection on its own task.</summary>
internal abstract class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private int _connections;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>What the clients asked for, in order.</summary>
    public List<string> Received { get; } = [];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }

    /// <summary>Called by the subclass once its own fields are set.</summary>
    protected void Start()
    {
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    protected void Record(string request)
    {
        lock (Received)
        {
            Received.Add(request);
        }
    }

    protected abstract Task ServeAsync(Socket socket, CancellationToken stop);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _ = Task.Run(async () =>
                {
                    using (socket)
                    {
                        try
                        {
                            await ServeAsync(socket, _stop.Token);
                        }
                        catch (Exception e) when (e is OperationCanceledException or SocketException)
                        {
                        }
                    }
                });
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
