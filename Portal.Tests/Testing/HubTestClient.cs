using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using QuorumPortal.Portal.Hubs;

namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>
/// A SignalR client of <see cref="EnsembleHub"/> over the test server's WebSocket, recording every event it receives
/// in order, so a test waits for the event it expects instead of sleeping.
/// </summary>
internal sealed class HubTestClient : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<EnsembleEventDto> _received = [];
    private readonly Channel<bool> _arrivals = Channel.CreateUnbounded<bool>();

    private HubTestClient(HubConnection connection)
    {
        Connection = connection;
        connection.On<EnsembleEventBatchDto>(nameof(IEnsembleClient.EventsReceived), batch =>
        {
            lock (_lock)
            {
                _received.AddRange(batch.Events);
            }

            _arrivals.Writer.TryWrite(true);
        });
    }

    public HubConnection Connection { get; }

    /// <summary>Everything received so far, in arrival order.</summary>
    public IReadOnlyList<EnsembleEventDto> Received
    {
        get
        {
            lock (_lock)
            {
                return [.. _received];
            }
        }
    }

    public static async Task<HubTestClient> ConnectAsync(TestServer server)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, EnsembleHub.Path), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.WebSocketFactory = (context, cancellationToken) => new ValueTask<System.Net.WebSockets.WebSocket>(
                    server.CreateWebSocketClient().ConnectAsync(context.Uri, cancellationToken));
            })
            .AddJsonProtocol(o => EnsembleHubJson.Configure(o.PayloadSerializerOptions))
            .Build();
        var client = new HubTestClient(connection);
        await connection.StartAsync();
        return client;
    }

    /// <summary>Waits until the events received so far satisfy <paramref name="condition"/>; returns them.</summary>
    public async Task<IReadOnlyList<EnsembleEventDto>> WaitForAsync(Func<IReadOnlyList<EnsembleEventDto>, bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var received = Received;
            if (condition(received))
            {
                return received;
            }

            try
            {
                await _arrivals.Reader.ReadAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"condition not met within {timeout}; received {received.Count} events: {string.Join(", ", received.TakeLast(20).Select(e => e.GetType().Name))}");
            }
        }
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
