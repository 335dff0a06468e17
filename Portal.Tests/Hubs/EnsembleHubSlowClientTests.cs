using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Portal.Api;
using QuorumPortal.Portal.Hubs;
using QuorumPortal.Portal.Tests.Testing;
using Xunit.Abstractions;
using static QuorumPortal.Portal.Tests.Testing.EnsembleConditions;

namespace QuorumPortal.Portal.Tests.Hubs;

/// <summary>
/// A client that stops reading, on real Kestrel sockets (the test server has no transport backpressure): the
/// others keep getting every batch, and it is disconnected once its outbox is full.
/// </summary>
public sealed class EnsembleHubSlowClientTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Batches = 100;
    private const int EventsPerBatch = 500; // ~85 KB a batch, so a reader that stops fills its socket buffers quickly
    private const int MarkerServerId = 250; // no member has it: these events are the test's own
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly PortalFactory _factory = new(new Dictionary<string, string?> { ["Portal:Hub:MaxPendingBatches"] = "32" });
    private Uri _hub = null!;

    public async Task InitializeAsync()
    {
        _factory.UseKestrel(0);
        _factory.StartServer();
        var address = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _hub = new Uri(new Uri(address), EnsembleHub.Path);
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        await _factory.WaitForEnsemblesAsync(http, e => IsSettled(Demo(e)), Deadline);
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Publish_OneClientStopsReading_OthersGetEveryBatchAndItIsDisconnected()
    {
        using var stalled = await JoinWithoutReadingAsync();
        var received = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var reader = new HubConnectionBuilder()
            .WithUrl(_hub, o => o.Transports = HttpTransportType.WebSockets)
            .AddJsonProtocol(o => EnsembleHubJson.Configure(o.PayloadSerializerOptions))
            .Build();
        reader.On<EnsembleEventBatchDto>(nameof(IEnsembleClient.EventsReceived), batch =>
        {
            if (Interlocked.Add(ref received, batch.Events.Count(e => e is HeartbeatMissedDto { ServerId: MarkerServerId })) == Batches * EventsPerBatch)
            {
                all.TrySetResult();
            }
        });
        await reader.StartAsync();
        await reader.InvokeAsync<EnsembleDto>(nameof(EnsembleHub.JoinEnsemble), "demo");
        var fanout = _factory.Services.GetRequiredService<EnsembleHubFanout>();
        Assert.Equal(2, fanout.JoinedCount("demo"));

        Assert.True(_factory.Services.GetRequiredService<EnsembleRegistry>().TryGet("demo", out var demo));
        for (var b = 0; b < Batches; b++)
        {
            var at = TimeProvider.System.GetUtcNow();
            demo.Events.Publish(demo.Events.Current!, [.. Enumerable.Range(0, EventsPerBatch).Select(i => new HeartbeatMissed("demo", at, MarkerServerId, at, TimeSpan.FromMilliseconds(i)))]);
        }

        await all.Task.WaitAsync(Deadline);
        output.WriteLine($"the reading client got all {Batches} batches of {EventsPerBatch} events; slow clients dropped so far: {fanout.SlowClientsDropped}");

        // The raw client sends no pings, so SignalR would drop it after 30 s anyway; the counter says the outbox did.
        // At least the stalled one. The outbox holds 32 batches so that a reader slowed by a loaded machine keeps up
        // with the burst of 100, while the stalled client, whose socket buffers fill after a batch or two, overflows.
        await Eventually.Until(() => fanout.SlowClientsDropped >= 1 && fanout.JoinedCount("demo") <= 1, "the stalled client dropped", Deadline);
        Assert.Equal(1, fanout.JoinedCount("demo"));
        Assert.True(reader.State == HubConnectionState.Connected, "the reading client stays connected");
    }

    /// <summary>A raw SignalR client over a WebSocket: handshake, join, read the join's result, then never read again.</summary>
    private async Task<ClientWebSocket> JoinWithoutReadingAsync()
    {
        var socket = new ClientWebSocket();
        socket.Options.SetBuffer(4096, 4096);
        await socket.ConnectAsync(new UriBuilder(_hub) { Scheme = "ws" }.Uri, CancellationToken.None);
        await SendAsync(socket, """{"protocol":"json","version":1}""");
        await SendAsync(socket, """{"type":1,"invocationId":"1","target":"JoinEnsemble","arguments":["demo"]}""");
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(Deadline);
        while (!text.ToString().Contains("\"invocationId\":\"1\"", StringComparison.Ordinal))
        {
            var result = await socket.ReceiveAsync(buffer, deadline.Token);
            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }

        Assert.Contains("\"type\":3,\"invocationId\":\"1\",\"result\":{", text.ToString()); // the completion, with the snapshot
        return socket;
    }

    private static Task SendAsync(ClientWebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json + "\u001e"), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
}
