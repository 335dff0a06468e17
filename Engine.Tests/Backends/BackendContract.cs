using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Backends;

/// <summary>
/// What every backend must do, the same way: one abstract suite, one subclass per backend, so pages,
/// wizards and drills can rely on it whichever backend runs the ensemble.
/// </summary>
public abstract class BackendContract(ITestOutputHelper output)
{
    protected ITestOutputHelper Output { get; } = output;

    protected static readonly EnsembleSettings Fast = new() { TickTime = 200, InitLimit = 10, SyncLimit = 5 };

    /// <summary>A new, not yet started backend with <paramref name="size"/> participants (ids 1..size).</summary>
    protected abstract IEnsembleBackend Create(string name, int size, string dataDirectory);

    /// <summary>How long a failover may take on this backend.</summary>
    protected virtual TimeSpan FailoverBound => TimeSpan.FromSeconds(10);

    /// <summary>Starts a provisioned member so that it can never reach its peers (embedded: isolated on the network; ZooKeeper: paused).</summary>
    protected abstract Task StartUnreachableAsync(IEnsembleBackend backend, int serverId);

    [Fact]
    public async Task Start_ThreeMembers_ExactlyOneLeaderAllSynced()
    {
        await using var scope = new Scope(this, 3);
        var snapshot = await scope.WaitForAsync(s => s.ServingVoters == 3);

        Assert.Single(snapshot.Statuses, s => s.State == PeerState.Leading);
        // A ZooKeeper probe cannot tell whom a follower follows; where the backend can, it is the leader.
        Assert.Equal(2, snapshot.Statuses.Count(s => s.State == PeerState.Following && (s.LeaderId is null || s.LeaderId == snapshot.LeaderId)));
    }

    [Fact]
    public async Task Client_WriteThenRead_ValuesVersionsAndErrors()
    {
        await using var scope = new Scope(this, 3);
        await scope.WaitForAsync(s => s.ServingVoters == 3);
        await using var client = await scope.Backend.OpenClientAsync(new ClientOptions(), CancellationToken.None);

        Assert.Equal("/contract", await client.CreateAsync("/contract", Encoding.UTF8.GetBytes("v1")));
        Assert.Equal(1, (await client.SetDataAsync("/contract", Encoding.UTF8.GetBytes("v2"), 0)).Version);
        Assert.Equal(CoordinationError.BadVersion, (await Assert.ThrowsAsync<CoordinationException>(() => client.SetDataAsync("/contract", Encoding.UTF8.GetBytes("x"), 0))).Error);
        Assert.Equal(CoordinationError.NodeExists, (await Assert.ThrowsAsync<CoordinationException>(() => client.CreateAsync("/contract", ReadOnlyMemory<byte>.Empty))).Error);
        Assert.Equal(CoordinationError.NoNode, (await Assert.ThrowsAsync<CoordinationException>(() => client.GetDataAsync("/missing"))).Error);
        Assert.Equal("/contract/s-0000000000", await client.CreateAsync("/contract/s-", ReadOnlyMemory<byte>.Empty, CreateMode.PersistentSequential));
        Assert.Equal(CoordinationError.NotEmpty, (await Assert.ThrowsAsync<CoordinationException>(() => client.DeleteAsync("/contract"))).Error);
        Assert.Equal("v2", Encoding.UTF8.GetString((await client.GetDataAsync("/contract")).Data));
        Assert.Equal(["s-0000000000"], await client.GetChildrenAsync("/contract"));
        Assert.Null(await client.ExistsAsync("/missing"));
    }

    [Fact]
    public async Task KillLeader_NewLeaderWithinBound_AcknowledgedWritesReadable()
    {
        await using var scope = new Scope(this, 3);
        var before = await scope.WaitForAsync(s => s.ServingVoters == 3);
        await using (var writer = await scope.Backend.OpenClientAsync(new ClientOptions(), CancellationToken.None))
        {
            for (var i = 0; i < 50; i++)
            {
                await writer.CreateAsync($"/acked-{i}", Encoding.UTF8.GetBytes($"{i}"));
            }
        }

        var clock = Stopwatch.StartNew();
        await scope.Backend.StopMemberAsync(before.LeaderId!.Value, StopMode.Kill, CancellationToken.None);
        var after = await scope.WaitForAsync(s => s.LeaderId is { } l && l != before.LeaderId, FailoverBound);
        Output.WriteLine($"leader {before.LeaderId} killed; leader {after.LeaderId} serving after {clock.ElapsedMilliseconds} ms");

        await using var reader = await scope.Backend.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        await reader.SyncAsync();
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal($"{i}", Encoding.UTF8.GetString((await reader.GetDataAsync($"/acked-{i}")).Data));
        }
    }

    [Fact]
    public async Task AddTwoThenRemoveFollowerAndLeader_MembershipFollows()
    {
        await using var scope = new Scope(this, 3);
        await scope.WaitForAsync(s => s.ServingVoters == 3);
        foreach (var id in new[] { 4, 5 })
        {
            var joiner = await scope.Backend.ProvisionMemberAsync(new MemberSpec { ServerId = id }, CancellationToken.None);
            await scope.Backend.StartMemberAsync(id, CancellationToken.None);
            await scope.WaitForAsync(s => s.Status(id)?.IsServing == true);
            await scope.Backend.ReconfigureAsync([joiner], [], CancellationToken.None);
        }

        var five = await scope.WaitForAsync(s => s.VoterCount == 5 && s.ServingVoters == 5);
        Assert.Single(five.Statuses, s => s.State == PeerState.Leading);

        var follower = five.Statuses.First(s => s.State == PeerState.Following).ServerId;
        await scope.Backend.ReconfigureAsync([], [follower], CancellationToken.None);
        var four = await scope.WaitForAsync(s => s.VoterCount == 4 && s.ServingVoters == 4);

        var leader = four.LeaderId!.Value;
        await scope.Backend.ReconfigureAsync([], [leader], CancellationToken.None);
        var three = await scope.WaitForAsync(s => s.VoterCount == 3 && s.ServingVoters == 3 && s.LeaderId != leader, FailoverBound);
        Assert.DoesNotContain(scope.Backend.Configuration, m => m.ServerId == leader || m.ServerId == follower);
        Assert.Single(three.Statuses, s => s.State == PeerState.Leading);
    }

    [Fact]
    public async Task StopAllThenStart_DataIntact()
    {
        await using var scope = new Scope(this, 3);
        await scope.WaitForAsync(s => s.ServingVoters == 3);
        await using (var writer = await scope.Backend.OpenClientAsync(new ClientOptions(), CancellationToken.None))
        {
            for (var i = 0; i < 20; i++)
            {
                await writer.CreateAsync($"/durable-{i}", Encoding.UTF8.GetBytes($"{i}"));
            }
        }

        await scope.Backend.StopAsync(StopMode.Graceful, CancellationToken.None);
        await scope.Backend.StartAsync(CancellationToken.None);
        await scope.WaitForAsync(s => s.ServingVoters == 3);

        await using var reader = await scope.Backend.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        await reader.SyncAsync();
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"{i}", Encoding.UTF8.GetString((await reader.GetDataAsync($"/durable-{i}")).Data));
        }
    }

    [Fact]
    public async Task Reconfigure_WhileJoinerSyncs_QuorumKeepsServingWrites()
    {
        await using var scope = new Scope(this, 3);
        await scope.WaitForAsync(s => s.ServingVoters == 3);
        await using var writer = await scope.Backend.OpenClientAsync(new ClientOptions { ServerIds = [1, 2, 3] }, CancellationToken.None);
        var payload = new byte[4096];
        for (var i = 0; i < 300; i++)
        {
            await writer.CreateAsync($"/bulk-{i}", payload); // something for the joiner to sync
        }

        using var stop = new CancellationTokenSource();
        var acked = new ConcurrentQueue<(int Index, long At)>();
        var syncedAt = long.MaxValue;
        var ackedAfterSync = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writing = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await writer.CreateAsync($"/during-{i}", Encoding.UTF8.GetBytes($"{i}"));
                var at = Stopwatch.GetTimestamp();
                acked.Enqueue((i, at));
                if (at > Volatile.Read(ref syncedAt))
                {
                    ackedAfterSync.TrySetResult();
                }
            }
        });

        var joinStarted = Stopwatch.GetTimestamp();
        var joiner = await scope.Backend.ProvisionMemberAsync(new MemberSpec { ServerId = 4 }, CancellationToken.None);
        await scope.Backend.StartMemberAsync(4, CancellationToken.None);
        await scope.WaitForAsync(s => s.Status(4)?.IsServing == true);
        var synced = Stopwatch.GetTimestamp();
        Volatile.Write(ref syncedAt, synced);

        // An embedded joiner syncs in microseconds, so the sync alone may fall between two writes: the window that
        // counts is the joiner running but not yet added, which lasts until a write is acknowledged after its sync.
        await Task.WhenAny(ackedAfterSync.Task, writing).WaitAsync(TimeSpan.FromSeconds(30));
        if (writing.IsCompleted)
        {
            await writing; // a write that failed fails the test here
        }

        var reconfigSent = Stopwatch.GetTimestamp();
        await scope.Backend.ReconfigureAsync([joiner], [], CancellationToken.None);
        await scope.WaitForAsync(s => s.VoterCount == 4 && s.ServingVoters == 4);
        await stop.CancelAsync();
        await writing; // a write that failed fails the test here

        var whileJoining = acked.Count(a => a.At > joinStarted && a.At < reconfigSent);
        var whileSyncing = acked.Count(a => a.At > joinStarted && a.At < synced);
        Output.WriteLine($"{acked.Count} writes acknowledged, {whileJoining} while the joiner ran unadded ({whileSyncing} between its start and its sync)");
        Assert.True(whileJoining > 0, "no write was acknowledged while the joiner started, synced and waited to be added");
        await using var reader = await scope.Backend.OpenClientAsync(new ClientOptions { ServerIds = [4] }, CancellationToken.None);
        await reader.SyncAsync();
        foreach (var (index, _) in acked)
        {
            Assert.Equal($"{index}", Encoding.UTF8.GetString((await reader.GetDataAsync($"/during-{index}")).Data));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reconfigure_RemovedIdAddedBack_RejoinsAndServesTheData(bool freshData)
    {
        await using var scope = new Scope(this, 3);
        var before = await scope.WaitForAsync(s => s.ServingVoters == 3);
        await using var writer = await scope.Backend.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        await writer.CreateAsync("/before-removal", Encoding.UTF8.GetBytes("1"));
        var follower = before.Statuses.First(s => s.State == PeerState.Following).ServerId;

        await scope.Backend.ReconfigureAsync([], [follower], CancellationToken.None);
        await scope.WaitForAsync(s => s.VoterCount == 2 && s.ServingVoters == 2);
        await writer.CreateAsync("/while-removed", Encoding.UTF8.GetBytes("2"));
        if (freshData)
        {
            await scope.Backend.DecommissionMemberAsync(follower, deleteData: true, CancellationToken.None);
        }

        var again = await scope.Backend.ProvisionMemberAsync(new MemberSpec { ServerId = follower }, CancellationToken.None);
        await scope.Backend.StartMemberAsync(follower, CancellationToken.None);
        await scope.WaitForAsync(s => s.Status(follower)?.IsServing == true);
        await scope.Backend.ReconfigureAsync([again], [], CancellationToken.None);
        await scope.WaitForAsync(s => s.VoterCount == 3 && s.ServingVoters == 3);

        Assert.Contains(scope.Backend.Configuration, m => m.ServerId == follower && m.IsVoter);
        await using var reader = await scope.Backend.OpenClientAsync(new ClientOptions { ServerIds = [follower] }, CancellationToken.None);
        await reader.SyncAsync();
        Assert.Equal("1", Encoding.UTF8.GetString((await reader.GetDataAsync("/before-removal")).Data));
        Assert.Equal("2", Encoding.UTF8.GetString((await reader.GetDataAsync("/while-removed")).Data));
    }

    [Fact]
    public async Task Reconfigure_PlannedAgainstOlderVersion_BadVersionAndJoinerRolledBack()
    {
        await using var scope = new Scope(this, 3);
        var (planned, follower) = await ChangeBehindTheOperatorsBackAsync(scope);
        var joiner = await JoinAsync(scope, new MemberSpec { ServerId = 4 });

        var error = await Assert.ThrowsAsync<ReconfigurationException>(() =>
            scope.Backend.ReconfigureAsync([joiner], [], new ReconfigOptions { ExpectedConfigVersion = planned }, CancellationToken.None));

        await AssertJoinerRolledBackAsync(scope, error, CoordinationError.BadVersion, [.. new[] { 1, 2, 3 }.Where(id => id != follower)]);
        Assert.Contains($"planned against version {planned:x}", error.Message, StringComparison.Ordinal);
        Assert.Contains("plan the change again", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(scope.Directory, "server.4")), "the fresh joiner's directory is left behind");
    }

    [Fact]
    public async Task Reconfigure_RefusedWithKeepJoiners_JoinerLeftRunningAndRetrySucceeds()
    {
        await using var scope = new Scope(this, 3);
        var (planned, _) = await ChangeBehindTheOperatorsBackAsync(scope);
        var joiner = await JoinAsync(scope, new MemberSpec { ServerId = 4 });

        var error = await Assert.ThrowsAsync<ReconfigurationException>(() => scope.Backend.ReconfigureAsync(
            [joiner], [], new ReconfigOptions { ExpectedConfigVersion = planned, KeepJoinersOnFailure = true }, CancellationToken.None));

        Assert.Equal(JoinerOutcome.LeftRunning, error.JoinerOutcome);
        Assert.Contains("server.4 is left running outside the configuration for you to retry", error.Message, StringComparison.Ordinal);
        Assert.Contains(scope.Backend.Members, m => m.ServerId == 4);
        Assert.DoesNotContain(scope.Backend.Configuration, m => m.ServerId == 4);
        await scope.Backend.ReconfigureAsync([joiner], [], CancellationToken.None);
        await scope.WaitForAsync(s => s.VoterCount == 3 && s.ServingVoters == 3 && s.Status(4)?.IsServing == true);
    }

    [Fact]
    public async Task Reconfigure_NewConfigWithoutSyncedQuorum_RefusedAndJoinerRolledBack()
    {
        await using var scope = new Scope(this, 3);
        var before = await scope.WaitForAsync(s => s.ServingVoters == 3);
        var followers = before.Statuses.Where(s => s.State == PeerState.Following).Select(s => s.ServerId).ToArray();
        await scope.Backend.StopMemberAsync(followers[0], StopMode.Kill, CancellationToken.None);
        await scope.WaitForAsync(s => s.ServingVoters == 2);
        var observer = await JoinAsync(scope, new MemberSpec { ServerId = 4, Role = MemberRole.Observer });

        // Leader and the killed follower would be the only participants left: one of two synced.
        var error = await Assert.ThrowsAsync<ReconfigurationException>(() => scope.Backend.ReconfigureAsync([observer], [followers[1]], CancellationToken.None));

        await AssertJoinerRolledBackAsync(scope, error, CoordinationError.NewConfigNoQuorum, [1, 2, 3]);
        Assert.Contains("fewer than a majority of the participants of the new configuration are running and synced", error.Message, StringComparison.Ordinal);
        Assert.Contains("participants 1,2,3", error.Message, StringComparison.Ordinal);
        Assert.Contains("Start the members that are down", error.Message, StringComparison.Ordinal);
        await scope.WaitForAsync(s => s.ServingVoters == 2); // still serving
    }

    [Fact]
    public async Task Reconfigure_JoinerNeverSyncs_RolledBackAndConfigurationUnchanged()
    {
        await using var scope = new Scope(this, 3);
        await scope.WaitForAsync(s => s.ServingVoters == 3);
        var joiner = await scope.Backend.ProvisionMemberAsync(new MemberSpec { ServerId = 4 }, CancellationToken.None);
        await StartUnreachableAsync(scope.Backend, 4);

        var error = await Assert.ThrowsAsync<ReconfigurationException>(() => scope.Backend.ReconfigureAsync([joiner], [], CancellationToken.None));

        await AssertJoinerRolledBackAsync(scope, error, null, [1, 2, 3]);
        Assert.Contains("server.4 did not sync with the leader within", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed in the configuration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconfigure_RemoveEveryParticipant_RefusedAndNothingChanges()
    {
        await using var scope = new Scope(this, 3);
        await scope.WaitForAsync(s => s.ServingVoters == 3);

        var error = await Assert.ThrowsAsync<ValidationException>(() => scope.Backend.ReconfigureAsync([], [1, 2, 3], CancellationToken.None));

        Assert.Contains(error.Errors, e => e.Field == "leaving" && e.Rule.Contains("without a participant", StringComparison.Ordinal));
        Assert.Equal(3, scope.Backend.Configuration.Count);
        await scope.WaitForAsync(s => s.ServingVoters == 3);
    }

    [Fact]
    public async Task Provision_IdOfAMember_RefusedNamingIt()
    {
        await using var scope = new Scope(this, 3);

        var error = await Assert.ThrowsAsync<ValidationException>(() => scope.Backend.ProvisionMemberAsync(new MemberSpec { ServerId = 2 }, CancellationToken.None));

        Assert.Contains(error.Errors, e => e.Field == "server.2" && e.Rule.Contains("already used in contract (a participant of the configuration)", StringComparison.Ordinal));
        Assert.Equal(3, scope.Backend.Members.Count);
    }

    [Fact]
    public async Task ProbeWithClients_OpenClient_ListedWithItsSessionAndCounters()
    {
        await using var scope = new Scope(this, 3);
        await scope.WaitForAsync(s => s.ServingVoters == 3);
        await using var client = await scope.Backend.OpenClientAsync(new ClientOptions { ServerIds = [2] }, CancellationToken.None);
        await client.CreateAsync("/listed", Encoding.UTF8.GetBytes("x"));
        await client.GetDataAsync("/listed");

        var status = await scope.Backend.ProbeAsync(2, ProbeDetail.Clients, CancellationToken.None);

        Assert.Null(status.ClientsError);
        Assert.NotNull(status.Clients);
        var ours = Assert.Single(status.Clients, c => c.SessionId == client.SessionId);
        Output.WriteLine(ours.ToString());
        Assert.Contains(ours.LastOperation, new[] { "GETD", "PING" }); // the read, or a ping after it
        Assert.True(ours.Received >= 3 && ours.Sent >= 3, "connect, create and read, each way");
        Assert.Equal(0, ours.Queued);
        Assert.True(ours.LastZxid > 0, "the replies carry the zxid the member had processed, the create's or later");
        Assert.NotNull(ours.Address);
        Assert.True(ours.MaxLatency >= ours.MinLatency);
        Assert.Equal(status.Connections, status.Clients.Count);
        Assert.Null((await scope.Backend.ProbeAsync(2, CancellationToken.None)).Clients); // the monitor's probe never lists them
    }

    /// <summary>The failed change's joiner, server.4, is gone: stopped, decommissioned, and the message says so.</summary>
    private async Task AssertJoinerRolledBackAsync(Scope scope, ReconfigurationException error, CoordinationError? expected, int[] configuration)
    {
        Output.WriteLine(error.Message);
        Assert.Equal(expected, error.Error);
        Assert.Equal(JoinerOutcome.RolledBack, error.JoinerOutcome);
        Assert.Contains("server.4 was stopped and decommissioned", error.Message, StringComparison.Ordinal);
        Assert.Equal(configuration, scope.Backend.Configuration.Select(m => m.ServerId).Order());
        Assert.DoesNotContain(scope.Backend.Members, m => m.ServerId == 4);
        Assert.Equal(PeerState.Down, (await scope.Backend.ProbeAsync(4, CancellationToken.None)).State);
    }

    /// <summary>Reads the configuration version an operator would plan against, then changes the membership (removes a follower).</summary>
    private static async Task<(long Planned, int Removed)> ChangeBehindTheOperatorsBackAsync(Scope scope)
    {
        var seen = await scope.WaitForAsync(s => s.ServingVoters == 3);
        var planned = seen.Statuses.Max(s => s.ConfigVersion);
        var follower = seen.Statuses.First(s => s.State == PeerState.Following).ServerId;
        var result = await scope.Backend.ReconfigureAsync([], [follower], CancellationToken.None);
        Assert.NotEqual(planned, result.ConfigVersion);
        await scope.WaitForAsync(s => s.ServingVoters == 2);
        return (planned, follower);
    }

    /// <summary>Provisions and starts <paramref name="member"/>, and waits until it serves (synced with the leader).</summary>
    private static async Task<MemberSpec> JoinAsync(Scope scope, MemberSpec member)
    {
        var joiner = await scope.Backend.ProvisionMemberAsync(member, CancellationToken.None);
        await scope.Backend.StartMemberAsync(member.ServerId, CancellationToken.None);
        await scope.WaitForAsync(s => s.Status(member.ServerId)?.IsServing == true);
        return joiner;
    }

    /// <summary>One started backend in its own directory, stopped and deleted afterwards.</summary>
    protected sealed class Scope : IAsyncDisposable
    {
        private readonly BackendContract _contract;
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "qp-contract-" + Guid.NewGuid().ToString("N"));

        /// <summary>The backend's data directory: members live in <c>server.&lt;id&gt;</c> under it.</summary>
        public string Directory => _directory;

        public Scope(BackendContract contract, int size)
        {
            _contract = contract;
            Backend = contract.Create("contract", size, _directory);
            Backend.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        public IEnsembleBackend Backend { get; }

        /// <summary>Probes every member until <paramref name="condition"/> holds with an established leader.</summary>
        public Task<EnsembleSnapshot> WaitForAsync(Func<EnsembleSnapshot, bool> condition, TimeSpan? bound = null) =>
            Backend.WaitForAsync(s => s.HasQuorum && condition(s), bound ?? TimeSpan.FromSeconds(30));

        public async ValueTask DisposeAsync()
        {
            await Backend.DisposeAsync();
            if (System.IO.Directory.Exists(_directory))
            {
                System.IO.Directory.Delete(_directory, recursive: true);
            }
        }
    }
}
