using System.Net;
using System.Net.Sockets;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Tests.Testing;
using QuorumPortal.Engine.Tests.ZooKeeper.Local;
using QuorumPortal.Engine.ZooKeeper;
using QuorumPortal.Engine.ZooKeeper.Client;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.ZooKeeper;

/// <summary>Membership changes on real <c>QuorumPeerMain</c> processes that only the local ZooKeeper backend can show.</summary>
[Trait("Category", "ZooKeeper")]
public sealed class LocalZooKeeperEnsembleMembershipTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "qp-zkops-" + Guid.NewGuid().ToString("N")[..8]);
    private LocalZooKeeperEnsemble? _ensemble;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_ensemble is not null)
        {
            await _ensemble.StopAsync(StopMode.Kill, CancellationToken.None);
            await _ensemble.DisposeAsync();
        }

        LocalEnsembleFixture.KillLeftovers(_root);
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [ZooKeeperFact]
    public async Task Reconfigure_WhileAnotherChangeIsPending_ReconfigInProgressAndJoinerRolledBack()
    {
        // syncLimit 100 ticks: the leader waits 20 s for its paused followers, so the other change stays pending that long.
        // Local sessions: a new global session is a transaction, queued behind the pending change, so the backend could
        // not open one until that change had committed; a local session needs no quorum.
        var settings = new EnsembleSettings { TickTime = 200, InitLimit = 100, SyncLimit = 100, MaxSessionTimeout = 30_000 };
        var ensemble = await StartAsync(settings, "localSessionsEnabled=true");
        var seen = await ensemble.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, Patience);
        var leader = ensemble.Supervisor.Member(seen.LeaderId!.Value);
        var followers = seen.Statuses.Where(s => s.State == PeerState.Following).Select(s => s.ServerId).ToArray();
        var joiner = await JoinAsync(ensemble, new MemberSpec { ServerId = 4, Role = MemberRole.Observer });
        await using var other = await ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectionString = $"{leader.Spec.Host}:{leader.Spec.ClientPort}", SessionTimeout = TimeSpan.FromSeconds(30) });
        await other.AddAuthDigestAsync("super", ensemble.Supervisor.SuperPassword!);

        Task<NodeData> pending;
        Task<ReconfigResult> ours;
        foreach (var id in followers)
        {
            ensemble.Supervisor.Member(id).Pause();
        }

        try
        {
            pending = other.ReconfigAsync(null, $"{followers[0]}");
            // The leader writes the proposed configuration to <its dynamic file>.next when it proposes it.
            await WaitUntilAsync(() => Directory.GetFiles(leader.Directory, "*.next").Length > 0, "the leader to propose the other change");
            ours = ensemble.ReconfigureAsync([joiner], [], CancellationToken.None);
            // ZooKeeper refuses at once but orders the answer after the pending change, which commits once the followers run.
            await WaitUntilAsync(() => ours.IsCompleted || leader.LogTail(5000).Contains("Error:KeeperErrorCode = ReconfigInProgress", StringComparison.Ordinal), "the leader to refuse our change");
        }
        finally
        {
            foreach (var id in followers)
            {
                ensemble.Supervisor.Member(id).Resume();
            }
        }

        var error = await Assert.ThrowsAsync<ReconfigurationException>(() => ours);
        output.WriteLine(error.Message);
        Assert.Equal(CoordinationError.ReconfigInProgress, error.Error);
        Assert.Equal(JoinerOutcome.RolledBack, error.JoinerOutcome);
        Assert.Contains("another membership change was being committed when this one arrived", error.Message, StringComparison.Ordinal);
        Assert.Contains("server.4 was stopped and decommissioned", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ensemble.Members, m => m.ServerId == 4);
        await pending; // the other change committed once the followers acked it
        Assert.True(await ensemble.RefreshConfigurationAsync(CancellationToken.None));
        Assert.Equal(new[] { 1, 2, 3 }.Where(id => id != followers[0]), ensemble.Configuration.Select(m => m.ServerId).Order());
    }

    [ZooKeeperFact]
    public async Task StartMember_SyncedJoinerRestarted_StartsAgainAndIsAdded()
    {
        var ensemble = await StartAsync(EnsembleSettings.Fast);
        await ensemble.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, Patience);
        var joiner = await JoinAsync(ensemble, new MemberSpec { ServerId = 4 });
        // Synced, the joiner runs the committed configuration, which lacks it; ZooKeeper wrote that into its files.
        var member = ensemble.Supervisor.Member(4);
        Assert.DoesNotContain("server.4=", File.ReadAllText(ZooKeeperConfigFileOf(member.ConfigPath)), StringComparison.Ordinal);

        await ensemble.StopMemberAsync(4, StopMode.Graceful, CancellationToken.None);
        await ensemble.StartMemberAsync(4, CancellationToken.None);
        await ensemble.WaitForAsync(s => s.Status(4)?.IsServing == true, Patience);
        await ensemble.ReconfigureAsync([joiner], [], CancellationToken.None);

        await ensemble.WaitForAsync(s => s.HasQuorum && s.VoterCount == 4 && s.ServingVoters == 4, Patience);
    }

    [ZooKeeperFact]
    public async Task Provision_PortHeldByAnotherProcess_RefusedNamingThePort()
    {
        var ensemble = await StartAsync(EnsembleSettings.Fast);
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<ValidationException>(() => ensemble.ProvisionMemberAsync(new MemberSpec { ServerId = 4, ClientPort = port }, CancellationToken.None));

        Assert.Contains(error.Errors, e => e.Field == "server.4" && e.Rule.Contains($"client port {port} on 127.0.0.1 is in use by another process", StringComparison.Ordinal));
        Assert.DoesNotContain(ensemble.Members, m => m.ServerId == 4);
        Assert.False(Directory.Exists(Path.Combine(_root, "server.4")));
    }

    [ZooKeeperFact]
    public async Task StartMember_JoinerPortTakenAfterProvisioning_SaysItStaysStoppedAndWhatToDo()
    {
        var ensemble = await StartAsync(EnsembleSettings.Fast);
        var joiner = await ensemble.ProvisionMemberAsync(new MemberSpec { ServerId = 4 }, CancellationToken.None);
        using var squatter = new TcpListener(IPAddress.Loopback, joiner.ClientPort);
        squatter.Start();

        var error = await Assert.ThrowsAsync<Engine.ZooKeeper.Local.PortInUseException>(() => ensemble.StartMemberAsync(4, CancellationToken.None));

        Assert.Contains($"client port {joiner.ClientPort}", error.Message, StringComparison.Ordinal);
        Assert.Contains("server.4 stays stopped", error.Message, StringComparison.Ordinal);
        Assert.Contains("decommissioned and provisioned again with port 0", error.Message, StringComparison.Ordinal);
        Assert.False(ensemble.Supervisor.Member(4).IsRunning);
    }

    private async Task<LocalZooKeeperEnsemble> StartAsync(EnsembleSettings settings, params string[] extraConfigLines)
    {
        _ensemble = new LocalZooKeeperEnsemble(EnsembleSpec.OfSize("zkops", 3, settings, BackendKind.LocalZooKeeper), _root);
        foreach (var member in _ensemble.Supervisor.Members)
        {
            File.AppendAllLines(member.ConfigPath, extraConfigLines);
        }

        await _ensemble.StartAsync(CancellationToken.None);
        return _ensemble;
    }

    private static async Task<MemberSpec> JoinAsync(LocalZooKeeperEnsemble ensemble, MemberSpec member)
    {
        var joiner = await ensemble.ProvisionMemberAsync(member, CancellationToken.None);
        await ensemble.StartMemberAsync(member.ServerId, CancellationToken.None);
        await ensemble.WaitForAsync(s => s.Status(member.ServerId)?.IsServing == true, Patience);
        return joiner;
    }

    private static string ZooKeeperConfigFileOf(string zooCfg) =>
        File.ReadAllLines(zooCfg).Single(l => l.StartsWith("dynamicConfigFile=", StringComparison.Ordinal))["dynamicConfigFile=".Length..];

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Patience, $"waited {Patience} for {what}");
            await Task.Delay(20);
        }
    }
}
