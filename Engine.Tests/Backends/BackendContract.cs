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

    /// <summary>One started backend in its own directory, stopped and deleted afterwards.</summary>
    protected sealed class Scope : IAsyncDisposable
    {
        private readonly BackendContract _contract;
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "qp-contract-" + Guid.NewGuid().ToString("N"));

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
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
    }
}
