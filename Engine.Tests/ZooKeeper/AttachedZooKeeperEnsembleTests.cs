using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.ZooKeeper;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.ZooKeeper;

/// <summary>
/// Attaching an ensemble the portal does not run: a real 3-member ensemble is started with the local backend in a
/// temp folder (stopped and deleted after each test), then attached by its connection string.
/// </summary>
[Trait("Category", "ZooKeeper")]
public sealed class AttachedZooKeeperEnsembleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly EnsembleSettings Fast = new() { TickTime = 200, InitLimit = 10, SyncLimit = 5 };

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "qp-attach-" + Guid.NewGuid().ToString("N"));
    private LocalZooKeeperEnsemble _local = null!;

    private string ConnectionString => string.Join(",", _local.Members.Select(m => $"127.0.0.1:{m.ClientPort}"));

    private DigestCredentials Super => new("super", _local.Supervisor.SuperPassword!);

    public async Task InitializeAsync()
    {
        _local = new LocalZooKeeperEnsemble(EnsembleSpec.OfSize("operated", 3, Fast, BackendKind.LocalZooKeeper), _directory);
        output.WriteLine($"local ensemble in {_directory}: {ConnectionString}");
        await _local.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _local.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Start_ConnectionString_DiscoversMembersWithClientPorts()
    {
        await using var attached = new AttachedZooKeeperEnsemble("attached", ConnectionString, Super);
        await attached.StartAsync(CancellationToken.None);

        Assert.Equal(BackendKind.AttachedZooKeeper, attached.Kind);
        Assert.Equal(
            _local.Members.Select(m => (m.ServerId, m.ClientPort, m.QuorumPort)).Order(),
            attached.Configuration.Select(m => (m.ServerId, m.ClientPort, m.QuorumPort)).Order());
    }

    [Fact]
    public async Task Probe_ThreeMembers_OneLeadingTwoFollowing()
    {
        await using var attached = await AttachAsync(Super);

        var statuses = await WaitServingAsync(attached, 3);

        Assert.Single(statuses, s => s.State == PeerState.Leading);
        Assert.Equal(2, statuses.Count(s => s.State == PeerState.Following));
    }

    [Fact]
    public async Task Client_WriteThenRead_SeesTheWrite()
    {
        await using var attached = await AttachAsync(Super);
        await WaitServingAsync(attached, 3);

        await using (var writer = await attached.OpenClientAsync(new ClientOptions { ServerIds = [1] }, CancellationToken.None))
        {
            await writer.CreateAsync("/attached", Encoding.UTF8.GetBytes("hello"));
        }

        await using var reader = await attached.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        await reader.SyncAsync("/attached");
        Assert.Equal("hello", Encoding.UTF8.GetString((await reader.GetDataAsync("/attached")).Data));
    }

    [Fact]
    public async Task ProcessControl_Attached_NotSupportedAndStopOnlyDisconnects()
    {
        await using var attached = await AttachAsync(Super);

        Assert.False(attached.Capabilities.ProcessControl);
        Assert.False(attached.Capabilities.FaultInjection);
        Assert.True(attached.Capabilities.Reconfigure);
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => attached.StopMemberAsync(1, StopMode.Kill, CancellationToken.None));
        Assert.Contains("is attached: the portal does not control its processes", error.Message);
        await Assert.ThrowsAsync<NotSupportedException>(() => attached.StartMemberAsync(1, CancellationToken.None));
        await Assert.ThrowsAsync<NotSupportedException>(() => attached.ProvisionMemberAsync(new MemberSpec { ServerId = 4 }, CancellationToken.None));
        await Assert.ThrowsAsync<NotSupportedException>(() => attached.DecommissionMemberAsync(1, deleteData: true, CancellationToken.None));
        await Assert.ThrowsAsync<NotSupportedException>(() => attached.ApplySettingsAsync(Fast, CancellationToken.None));

        await attached.StopAsync(StopMode.Kill, CancellationToken.None);
        Assert.Equal(3, (await WaitServingAsync(attached, 3)).Count); // the ensemble still runs
    }

    [Fact]
    public async Task Reconfigure_RemoveFollower_TwoVoters()
    {
        await using var attached = await AttachAsync(Super);
        var follower = (await WaitServingAsync(attached, 3)).First(s => s.State == PeerState.Following).ServerId;

        var result = await attached.ReconfigureAsync([], [follower], CancellationToken.None);

        Assert.Equal(2, result.Members.Count(m => m.IsVoter));
        Assert.DoesNotContain(attached.Configuration, m => m.ServerId == follower);
        Assert.Equal(2, attached.Configuration.Count(m => m.IsVoter));
        await attached.StartAsync(CancellationToken.None); // re-reads /zookeeper/config
        Assert.Equal(result.Members.Select(m => m.ServerId).Order(), attached.Configuration.Select(m => m.ServerId).Order());
    }

    [Fact]
    public async Task Reconfigure_WithoutCredentials_NoAuthAndUnchanged()
    {
        await using var attached = await AttachAsync(credentials: null);
        var follower = (await WaitServingAsync(attached, 3)).First(s => s.State == PeerState.Following).ServerId;

        var error = await Assert.ThrowsAsync<ReconfigurationException>(() => attached.ReconfigureAsync([], [follower], CancellationToken.None));

        Assert.Equal(CoordinationError.NoAuth, error.Error);
        Assert.Contains("Nothing of it was applied; the committed configuration is version", error.Message, StringComparison.Ordinal);
        Assert.Contains("super user", error.Message, StringComparison.Ordinal);
        await attached.StartAsync(CancellationToken.None);
        Assert.Equal(3, attached.Configuration.Count(m => m.IsVoter));
    }

    [Fact]
    public async Task Start_WrongConnectionString_ClearError()
    {
        await _local.StopMemberAsync(1, StopMode.Kill, CancellationToken.None); // its port is surely not answering
        var port = _local.Members.First(m => m.ServerId == 1).ClientPort;
        await using var attached = new AttachedZooKeeperEnsemble("nowhere", $"127.0.0.1:{port}", Super) { ConnectTimeout = TimeSpan.FromSeconds(2) };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => attached.StartAsync(CancellationToken.None));

        Assert.Contains($"cannot attach nowhere at 127.0.0.1:{port}", error.Message);
        Assert.Throws<ArgumentException>(() => new AttachedZooKeeperEnsemble("bad", "not a connection string"));
    }

    [Fact]
    public async Task Operations_Attached_RemoveByReconfigOthersRefusedWithTheReason()
    {
        await using var attached = await AttachAsync(Super);
        var statuses = await WaitServingAsync(attached, 3);
        var follower = statuses.First(s => s.State == PeerState.Following).ServerId;
        await using var coordinator = new OperationCoordinator(new InMemoryOperationJournal(), TimeProvider.System, NullLogger<OperationCoordinator>.Instance);
        var request = new OperationRequest("test");

        var failover = await coordinator.StartAsync(attached, new FailoverOperation(FailoverMode.KillLeader), request, CancellationToken.None);
        var expand = await coordinator.StartAsync(attached, new AddMembersOperation(new AddMembersRequest { Count = 1 }), request, CancellationToken.None);
        var remove = await coordinator.StartAsync(attached, new RemoveMembersOperation([follower], deleteData: false), request, CancellationToken.None);
        var removed = await remove.Completion.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Contains("does not let the portal stop and start its members", failover.Message, StringComparison.Ordinal);
        Assert.Contains("the portal cannot start new members there", expand.Message, StringComparison.Ordinal);
        Assert.Equal(OperationState.Succeeded, removed.State);
        Assert.Contains("stop it yourself", removed.Steps.Single(s => s.Name == $"server.{follower}: stop").Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(attached.Configuration, m => m.ServerId == follower);
    }

    private async Task<AttachedZooKeeperEnsemble> AttachAsync(DigestCredentials? credentials)
    {
        var attached = new AttachedZooKeeperEnsemble("attached", ConnectionString, credentials);
        await attached.StartAsync(CancellationToken.None);
        return attached;
    }

    /// <summary>Probes through the attached backend until <paramref name="serving"/> members serve under one leader.</summary>
    private static async Task<IReadOnlyList<MemberStatus>> WaitServingAsync(AttachedZooKeeperEnsemble attached, int serving) =>
        (await attached.WaitForAsync(
            s => s.Statuses.Count(x => x.State is PeerState.Leading or PeerState.Following) == serving && s.Statuses.Count(x => x.State == PeerState.Leading) == 1,
            TimeSpan.FromSeconds(30))).Statuses;
}
