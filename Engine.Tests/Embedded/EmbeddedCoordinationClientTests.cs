using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Embedded;

/// <summary>
/// The embedded coordination client under faults of the member it is connected to: killed, restarted, stalled.
/// A member is stalled by parking its loop thread (<see cref="FreezeAsync"/>), which is how requests and connects
/// are made to queue up deterministically. Every test prints the ensemble's seed.
/// </summary>
/// <remarks>
/// The members run on a thread each (<see cref="EmbeddedOptions.LoopThreads"/> 0): on shared threads a parked loop
/// would hold one of the group's threads, and parking as many members as there are threads would stall them all.
/// </remarks>
public sealed class EmbeddedCoordinationClientTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Sessions up to 30 s, so a session never expires while a test restarts a member. A leader keeps a silent follower
    // for 15 s (syncLimit), longer than the stall test stalls one, as ZooKeeper's defaults outlast two thirds of a
    // session timeout: so what the stalled member still holds reaches the leader once it runs again.
    private static readonly EnsembleSettings Settings = new() { TickTime = 100, InitLimit = 150, SyncLimit = 150, MaxSessionTimeout = 30_000 };

    /// <summary>Only a guard against a hang; the tests wait on outcomes, not on time.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private EmbeddedEnsemble _ensemble = null!;
    private EnsembleSnapshot _serving = null!;

    public async Task InitializeAsync()
    {
        _ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("client", 3, Settings), options: new EmbeddedOptions { LoopThreads = 0 });
        output.WriteLine($"embedded ensemble seed {_ensemble.Seed}");
        await _ensemble.StartAsync(CancellationToken.None);
        _serving = await ServingAsync();
    }

    public async Task DisposeAsync() => await _ensemble.DisposeAsync();

    [Fact]
    public async Task Requests_ConnectedMemberKilledWithRequestsInFlight_InFlightFailWithConnectionLossLaterOnesServedElsewhere()
    {
        await using var client = await OpenAsync(new ClientOptions { RequestTimeout = TimeSpan.FromMinutes(10) });
        await client.CreateAsync("/t", ReadOnlyMemory<byte>.Empty);
        var killed = client.ConnectedServerId!.Value;
        var others = _serving.Statuses.Select(s => s.ServerId).Where(id => id != killed).ToArray();

        Task<NodeStat>[] inFlight;
        Task<NodeStat>[] later;
        using (await FreezeAsync(others[0]))
        using (await FreezeAsync(others[1]))
        {
            using (var frozen = await FreezeAsync(killed))
            {
                inFlight = [.. Enumerable.Range(0, 10).Select(i => client.SetDataAsync("/t", Value(i)))];
                await KillFrozenAsync(killed, frozen);
            }

            // The survivors are stalled for now, so these all find the client reconnecting.
            later = [.. Enumerable.Range(10, 10).Select(i => client.SetDataAsync("/t", Value(i)))];
        }

        foreach (var request in inFlight)
        {
            var error = await Assert.ThrowsAsync<CoordinationException>(() => request.WaitAsync(Guard));
            Assert.True(error.OutcomeUnknown, $"a request in flight on the killed member failed with {error.Error}");

            // At the kill (the member's loop stopped), not later when pings went unanswered.
            Assert.Equal(CoordinationError.ConnectionLoss, error.Error);
            Assert.Contains($"server {killed} closed it", error.Message, StringComparison.Ordinal);
        }

        var outcomes = await Task.WhenAll(later.Select(Outcome)).WaitAsync(Guard);
        Assert.Equal(Enumerable.Repeat("ok", 10), outcomes);
        Assert.Contains(client.ConnectedServerId!.Value, others);
        Assert.Equal(1, await ConnectionsAsync());
    }

    [Fact]
    public async Task Requests_ConcurrentWhileReconnecting_OneReconnectServesThemAll()
    {
        var followers = _serving.Statuses.Where(s => s.State == PeerState.Following).Select(s => s.ServerId).ToArray();

        // A session timeout long enough that the session outlives the stall and the requests wait out the reconnect.
        await using var client = await OpenAsync(new ClientOptions { ServerIds = followers, SessionTimeout = TimeSpan.FromSeconds(20) });
        await client.CreateAsync("/t", ReadOnlyMemory<byte>.Empty);
        var killed = client.ConnectedServerId!.Value;
        var other = followers.Single(id => id != killed);
        var embedded = (EmbeddedCoordinationClient)client;
        var attemptsBefore = embedded.ConnectAttempts;

        Task<NodeStat>[] requests;
        using (await FreezeAsync(other))
        {
            // The only other member of the list is stalled, so every one of these finds the client reconnecting.
            await _ensemble.StopMemberAsync(killed, StopMode.Kill, CancellationToken.None);
            requests = [.. Enumerable.Range(0, 20).Select(i => client.SetDataAsync("/t", Value(i)))];
        }

        var stats = await Task.WhenAll(requests).WaitAsync(Guard);

        // How many attempts the stall took depends on how slow this machine is (an attempt gives up after half the
        // session timeout and the reconnect tries again); that they never overlap does not.
        var attempts = embedded.ConnectAttempts - attemptsBefore;
        output.WriteLine($"server {killed} killed; {attempts} connect attempt(s) to server {other}, at most {embedded.MostConnectsInFlight} at once");
        Assert.Equal(1, embedded.MostConnectsInFlight);
        Assert.Equal(Enumerable.Range(1, 20), stats.Select(s => s.Version).Order());
        Assert.Equal(other, client.ConnectedServerId);
        Assert.Equal(1, await ConnectionsAsync());
    }

    [Fact]
    public async Task Requests_PinnedMemberRestarted_ServedAfterOneResumeWithoutSessionMoved()
    {
        var pinned = _serving.Statuses.First(s => s.State == PeerState.Following).ServerId;
        await using var client = await OpenAsync(new ClientOptions { ServerIds = [pinned] });
        await client.CreateAsync("/t", ReadOnlyMemory<byte>.Empty);
        var session = client.SessionId;

        await _ensemble.StopMemberAsync(pinned, StopMode.Kill, CancellationToken.None);
        await _ensemble.StartMemberAsync(pinned, CancellationToken.None);
        Task<NodeStat>[] requests;
        using (await FreezeAsync(pinned))
        {
            requests = [.. Enumerable.Range(0, 20).Select(i => client.SetDataAsync("/t", Value(i)))];
        }

        var outcomes = await Task.WhenAll(requests.Select(Outcome)).WaitAsync(Guard);

        Assert.Equal(Enumerable.Repeat("ok", 20), outcomes);
        Assert.Equal(1, ((EmbeddedCoordinationClient)client).MostConnectsInFlight); // one resume shared by all 20, never one each
        Assert.Equal(session, client.SessionId);
        Assert.Equal(pinned, client.ConnectedServerId);
        Assert.Equal(1, await ConnectionsAsync());
    }

    [Fact]
    public async Task Requests_ConnectedMemberStalls_ConnectionDeclaredLostAndSessionMovesOn()
    {
        var followers = _serving.Statuses.Where(s => s.State == PeerState.Following).Select(s => s.ServerId).ToArray();

        // The client gives up on a silent member after two thirds of the session timeout and has the last third to resume
        // the session elsewhere: 4 s here, for what takes milliseconds on an idle machine.
        await using var client = await OpenAsync(new ClientOptions { ServerIds = followers, SessionTimeout = TimeSpan.FromSeconds(12), RequestTimeout = TimeSpan.FromMinutes(10) });
        await client.CreateAsync("/t", ReadOnlyMemory<byte>.Empty);
        var stalled = client.ConnectedServerId!.Value;
        var session = client.SessionId;

        // Stalled for as long as the client takes to give up on it, however long that is on this machine.
        using (await FreezeAsync(stalled))
        {
            var stuck = client.SetDataAsync("/t", Value(1));
            var error = await Assert.ThrowsAsync<CoordinationException>(() => stuck.WaitAsync(Guard));
            Assert.Equal(CoordinationError.ConnectionLoss, error.Error);

            var stat = await client.SetDataAsync("/t", Value(2)).WaitAsync(Guard);
            Assert.Equal(1, stat.Version);
            Assert.Equal(followers.Single(id => id != stalled), client.ConnectedServerId);
            Assert.Equal(session, client.SessionId);
        }

        // The stalled member runs again, still a follower of the leader, with the stuck write in its queue: it was sent on
        // a connection the client has given up on, so the member drops it and it never lands.
        await ServingAsync();
        await using var reader = await OpenAsync(new ClientOptions { ServerIds = [stalled] });
        await reader.SyncAsync();
        var data = await reader.GetDataAsync("/t");
        Assert.Equal(("v2", 1), (Encoding.UTF8.GetString(data.Data), data.Stat.Version));
    }

    [Fact]
    public async Task Writes_ConnectedMemberKilledRepeatedly_AcknowledgedCommittedUnknownReportedAsConnectionLoss()
    {
        await using var client = await OpenAsync(new ClientOptions());
        await client.CreateAsync("/w", ReadOnlyMemory<byte>.Empty);
        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var next = 0;
        var writers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var path = $"/w/n{Interlocked.Increment(ref next):D6}";
                outcomes[path] = await Outcome(client.CreateAsync(path, Encoding.UTF8.GetBytes(path)));
            }
        })).ToArray();

        for (var round = 0; round < 3; round++)
        {
            await AcknowledgedAsync(outcomes, 50);
            var killed = client.ConnectedServerId ?? (await UntilConnectedAsync(client));
            await _ensemble.StopMemberAsync(killed, StopMode.Kill, CancellationToken.None);
            await AcknowledgedAsync(outcomes, 50);
            output.WriteLine($"round {round}: killed server {killed}, now on {client.ConnectedServerId}; outcomes so far: {Tally(outcomes)}");
            await _ensemble.StartMemberAsync(killed, CancellationToken.None);
            await ServingAsync();
        }

        await stop.CancelAsync();
        await Task.WhenAll(writers).WaitAsync(Guard);
        output.WriteLine($"outcomes: {Tally(outcomes)}");

        Assert.All(outcomes.Values, o => Assert.Contains(o, new[] { "ok", "ConnectionLoss", "NoQuorum" }));
        await using var reader = await OpenAsync(new ClientOptions());
        await reader.SyncAsync();
        var present = (await reader.GetChildrenAsync("/w")).Select(c => "/w/" + c).ToHashSet();
        Assert.All(outcomes.Where(o => o.Value == "ok"), o => Assert.Contains(o.Key, present));
        Assert.All(outcomes.Where(o => o.Value == "NoQuorum"), o => Assert.DoesNotContain(o.Key, present));
        Assert.Subset(outcomes.Keys.ToHashSet(), present);
    }

    private async Task<ICoordinationClient> OpenAsync(ClientOptions options) => await _ensemble.OpenClientAsync(options, CancellationToken.None);

    /// <summary>Every member in broadcast under one leader: an election still settling would make a "follower" lead.</summary>
    private Task<EnsembleSnapshot> ServingAsync() =>
        _ensemble.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3 && s.Statuses.All(m => m.Phase == ZabPhase.Broadcast && m.LeaderId == s.LeaderId), Guard);

    /// <summary>How many client connections the running members hold (each test has one client open).</summary>
    private async Task<int> ConnectionsAsync() =>
        (await _ensemble.ProbeSnapshotAsync(TimeProvider.System, CancellationToken.None)).Statuses.Sum(s => s.Connections);

    /// <summary>Parks the member's loop thread until the result is disposed: it answers nothing, as a stalled process.</summary>
    private async Task<Frozen> FreezeAsync(int serverId)
    {
        var peer = _ensemble.RunningPeer(serverId) ?? throw new InvalidOperationException($"server {serverId} is not running");
        var frozen = new Frozen(peer);
        peer.Loop.Post(frozen.Park);
        await frozen.Parked.WaitAsync(Guard);
        return frozen;
    }

    /// <summary>Kills a member whose loop is parked: the crash happens, then the loop thread is let go so the stop can finish.</summary>
    private async Task KillFrozenAsync(int serverId, Frozen frozen)
    {
        var stopping = Task.Run(() => _ensemble.StopMemberAsync(serverId, StopMode.Kill, CancellationToken.None));
        var deadline = DateTime.UtcNow + Guard;
        while (!frozen.Peer.Loop.IsStopped)
        {
            Assert.True(DateTime.UtcNow < deadline, "the member did not crash");
            await Task.Yield();
        }

        frozen.Dispose();
        await stopping.WaitAsync(Guard);
    }

    private async Task AcknowledgedAsync(System.Collections.Concurrent.ConcurrentDictionary<string, string> outcomes, int more)
    {
        var target = outcomes.Values.Count(o => o == "ok") + more;
        var deadline = DateTime.UtcNow + Guard;
        while (outcomes.Values.Count(o => o == "ok") < target)
        {
            Assert.True(DateTime.UtcNow < deadline, $"not {more} more acknowledged writes; outcomes: {Tally(outcomes)}");
            await Task.Delay(10);
        }
    }

    private static async Task<int> UntilConnectedAsync(ICoordinationClient client)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (true)
        {
            if (client.ConnectedServerId is { } id)
            {
                return id;
            }

            Assert.True(DateTime.UtcNow < deadline, "the client did not reconnect");
            await Task.Delay(10);
        }
    }

    private static async Task<string> Outcome(Task request)
    {
        try
        {
            await request;
            return "ok";
        }
        catch (CoordinationException e)
        {
            return e.Error.ToString();
        }
    }

    private static string Tally(System.Collections.Concurrent.ConcurrentDictionary<string, string> outcomes) =>
        string.Join(", ", outcomes.Values.GroupBy(o => o).Select(g => $"{g.Key} {g.Count()}"));

    private static byte[] Value(int i) => Encoding.UTF8.GetBytes($"v{i}");

    private sealed class Frozen(QuorumPeer peer) : IDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private readonly TaskCompletionSource _parked = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public QuorumPeer Peer { get; } = peer;

        public Task Parked => _parked.Task;

        public void Park()
        {
            _parked.TrySetResult();

            // Bounded, so a failed test cannot leave the member parked for good.
            _release.Wait(Guard);
        }

        public void Dispose() => _release.Set();
    }
}
