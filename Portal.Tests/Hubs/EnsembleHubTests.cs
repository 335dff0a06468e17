using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Portal.Api;
using QuorumPortal.Portal.Hubs;
using QuorumPortal.Portal.Tests.Testing;
using Xunit.Abstractions;
using static QuorumPortal.Portal.Tests.Testing.EnsembleConditions;

namespace QuorumPortal.Portal.Tests.Hubs;

/// <summary><see cref="EnsembleHub"/> over the test server's WebSocket, against the live embedded demo ensemble.</summary>
public sealed class EnsembleHubTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly PortalFactory _factory = new();
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _http = _factory.CreateClient();
        await _factory.WaitForEnsemblesAsync(_http, e => IsSettled(Demo(e)), Deadline);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task ListEnsembles_DemoRunning_ReturnsDemoAsTheApiDoes()
    {
        await using var client = await HubTestClient.ConnectAsync(_factory.Server);

        var ensembles = await client.Connection.InvokeAsync<List<EnsembleDto>>(nameof(EnsembleHub.ListEnsembles));

        var demo = Assert.Single(ensembles);
        Assert.Equal("demo", demo.Name);
        Assert.Equal(BackendKind.Embedded, demo.Backend);
        Assert.Equal([1, 2, 3], demo.Members.Select(m => m.ServerId).Order());
    }

    [Fact]
    public async Task JoinEnsemble_Demo_ReturnsSnapshotThenEventsAfterIt()
    {
        await using var client = await HubTestClient.ConnectAsync(_factory.Server);

        var snapshot = await client.Connection.InvokeAsync<EnsembleDto>(nameof(EnsembleHub.JoinEnsemble), "demo");

        Assert.Equal("demo", snapshot.Name);
        Assert.Equal([1, 2, 3], snapshot.Members.Select(m => m.ServerId).Order());
        var leader = Assert.Single(snapshot.Members, m => m.State == PeerState.Leading);
        Assert.Equal(snapshot.LeaderId, leader.ServerId);
        Assert.True(snapshot.HasQuorum);
        Assert.NotNull(snapshot.TakenAt);

        // The demo's followers report a heartbeat every probe round, so events newer than the snapshot keep coming.
        var received = await client.WaitForAsync(r => r.Any(e => e.Timestamp > snapshot.TakenAt), Deadline);
        Assert.All(received, e => Assert.Equal("demo", e.Ensemble));
        Assert.Equal(1, _factory.Services.GetRequiredService<EnsembleHubFanout>().JoinedCount("demo"));
    }

    [Fact]
    public async Task KillLeader_JoinedClient_LeaderLostThenLeaderElectedWithDifferentLeader()
    {
        await using var client = await HubTestClient.ConnectAsync(_factory.Server);
        var snapshot = await client.Connection.InvokeAsync<EnsembleDto>(nameof(EnsembleHub.JoinEnsemble), "demo");
        var killed = snapshot.LeaderId!.Value;
        var registry = _factory.Services.GetRequiredService<EnsembleRegistry>();
        Assert.True(registry.TryGet("demo", out var demo));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await demo.Backend.StopMemberAsync(killed, StopMode.Kill, CancellationToken.None);
        var received = await client.WaitForAsync(r => r.OfType<LeaderElectedDto>().Any(e => e.NewLeaderId != killed), Deadline);

        var lost = received.OfType<LeaderLostDto>().First(e => e.OldLeaderId == killed);
        var elected = received.OfType<LeaderElectedDto>().First(e => e.NewLeaderId != killed);
        output.WriteLine($"leader {killed} killed; LeaderLost at {lost.Timestamp:O}, LeaderElected {elected.NewLeaderId} at {elected.Timestamp:O}, received {clock.ElapsedMilliseconds} ms after the kill");
        Assert.True(received.ToList().IndexOf(lost) < received.ToList().IndexOf(elected), "LeaderLost arrives before LeaderElected");
        Assert.Equal(killed, elected.OldLeaderId);
        Assert.True(elected.Epoch > lost.Epoch, $"new epoch {elected.Epoch} should be past {lost.Epoch}");
        Assert.NotNull(elected.LeaderlessForMs);
        Assert.Contains(received.OfType<PeerStateChangedDto>(), e => e.ServerId == killed && e.NewState == PeerState.Down);
    }

    [Fact]
    public async Task JoinEnsemble_EnsembleRegisteredAfterStart_ItsSnapshotAndOnlyItsEvents()
    {
        var registry = _factory.Services.GetRequiredService<EnsembleRegistry>();
        var late = await registry.AddAsync(new EmbeddedEnsemble(EnsembleSpec.OfSize("late", 3, EnsembleSettings.Fast)), CancellationToken.None);
        await late.Backend.WaitForAsync(s => s.HasQuorum, Deadline);
        await using var client = await HubTestClient.ConnectAsync(_factory.Server);

        var snapshot = await client.Connection.InvokeAsync<EnsembleDto>(nameof(EnsembleHub.JoinEnsemble), "late");

        Assert.Equal("late", snapshot.Name);
        Assert.Equal(3, snapshot.Members.Count);
        var received = await client.WaitForAsync(r => r.Count(e => e.Timestamp > snapshot.TakenAt) >= 3, Deadline);
        Assert.All(received, e => Assert.Equal("late", e.Ensemble));
    }

    [Fact]
    public async Task JoinEnsemble_UnknownName_HubExceptionNamingTheKnownOnes()
    {
        await using var client = await HubTestClient.ConnectAsync(_factory.Server);

        var error = await Assert.ThrowsAsync<HubException>(() => client.Connection.InvokeAsync<EnsembleDto>(nameof(EnsembleHub.JoinEnsemble), "nope"));

        Assert.Contains("No ensemble named 'nope'", error.Message);
        Assert.Contains("demo", error.Message);
        Assert.Equal(0, _factory.Services.GetRequiredService<EnsembleHubFanout>().JoinedCount("nope"));
        Assert.Equal(HubConnectionState.Connected, client.Connection.State);
    }

    [Fact]
    public async Task LeaveEnsemble_AfterJoin_NoEventPublishedAfterwardsArrives()
    {
        await using var leaver = await HubTestClient.ConnectAsync(_factory.Server);
        await using var stayer = await HubTestClient.ConnectAsync(_factory.Server);
        await leaver.Connection.InvokeAsync<EnsembleDto>(nameof(EnsembleHub.JoinEnsemble), "demo");
        await stayer.Connection.InvokeAsync<EnsembleDto>(nameof(EnsembleHub.JoinEnsemble), "demo");

        Assert.True(await leaver.Connection.InvokeAsync<bool>(nameof(EnsembleHub.LeaveEnsemble), "demo"));
        var left = TimeProvider.System.GetUtcNow();

        // An event stamped after the leave returned was published after it; the one still joined sees several.
        await stayer.WaitForAsync(r => r.Count(e => e.Timestamp > left) >= 3, Deadline);
        Assert.DoesNotContain(leaver.Received, e => e.Timestamp > left);
        Assert.False(await leaver.Connection.InvokeAsync<bool>(nameof(EnsembleHub.LeaveEnsemble), "demo"));
        Assert.Equal(1, _factory.Services.GetRequiredService<EnsembleHubFanout>().JoinedCount("demo"));
    }
}
