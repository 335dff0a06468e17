using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Local;
using QuorumPortal.Engine.Tests.Testing;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Local;

/// <summary>One real ensemble (3 participants + 1 observer, tickTime 200) shared by the class; each test starts from healthy.</summary>
[Trait("Category", "ZooKeeper")]
public sealed class LocalZooKeeperEnsembleTests(LocalEnsembleFixture ensemble) : IClassFixture<LocalEnsembleFixture>
{
    [ZooKeeperFact]
    public async Task Start_ThreeParticipantsAndObserver_OneLeaderTwoFollowersOneObserver()
    {
        ZooKeeperInstallation.Locate();

        var statuses = await ensemble.HealthyAsync();

        var leader = statuses[LocalEnsembleFixture.LeaderOf(statuses)!.Value];
        Assert.True(leader.Epoch >= 1, $"leader epoch {leader.Epoch}");
        Assert.Equal(leader.ServerId, leader.LeaderId);
        Assert.Equal(2, leader.SyncedFollowers);
        Assert.All(statuses.Values, s => Assert.True(s.LastZxid <= leader.LastZxid, $"server.{s.ServerId} is ahead of its leader"));
        Assert.All(statuses.Values, s => Assert.Equal(0x1_0000_0000L, s.ConfigVersion));
        Assert.Equal(MemberRole.Observer, statuses[4].Role);
        Assert.Equal(leader.ServerId, statuses[4].LeaderId);
    }

    [ZooKeeperFact]
    public async Task KillLeader_NewLeaderElected_KilledOneDownThenFollowingAfterRestart()
    {
        ZooKeeperInstallation.Locate();
        var before = await ensemble.HealthyAsync();
        var oldLeader = LocalEnsembleFixture.LeaderOf(before)!.Value;

        await ensemble.Supervisor.Member(oldLeader).StopAsync(StopMode.Kill, CancellationToken.None);
        var after = await ensemble.ProbeUntilAsync(
            s => LocalEnsembleFixture.LeaderOf(s) is int l && l != oldLeader && s[oldLeader].State == PeerState.Down,
            "a new leader with the killed one down");

        Assert.Contains("refused", after[oldLeader].Error);
        var newLeader = after[LocalEnsembleFixture.LeaderOf(after)!.Value];
        Assert.True(newLeader.Epoch > before[oldLeader].Epoch, $"new epoch {newLeader.Epoch}, old {before[oldLeader].Epoch}");

        await ensemble.Supervisor.Member(oldLeader).StartAsync(CancellationToken.None);
        await ensemble.ProbeUntilAsync(s => s[oldLeader].State == PeerState.Following, $"server.{oldLeader} following again");
    }

    [ZooKeeperFact]
    public async Task PauseFollower_EnsembleKeepsLeader_PausedOneTimesOutThenFollowsAfterResume()
    {
        ZooKeeperInstallation.Locate();
        var before = await ensemble.HealthyAsync();
        var follower = before.Values.First(s => s.State == PeerState.Following).ServerId;
        var member = ensemble.Supervisor.Member(follower);

        member.Pause();
        try
        {
            Assert.True(member.IsPaused);
            var during = await ensemble.ProbeUntilAsync(s => s[follower].State == PeerState.Down, $"server.{follower} unresponsive");
            Assert.Contains("no complete answer", during[follower].Error);
            Assert.NotNull(LocalEnsembleFixture.LeaderOf(during));
        }
        finally
        {
            member.Resume();
        }

        await ensemble.ProbeUntilAsync(s => s[follower].State == PeerState.Following && LocalEnsembleFixture.LeaderOf(s) is not null, $"server.{follower} following after resume");
    }

    [ZooKeeperFact]
    public async Task StopTwoOfThree_Survivor_ProbesLooking()
    {
        ZooKeeperInstallation.Locate();
        var before = await ensemble.HealthyAsync();
        var survivor = before.Values.First(s => s.State == PeerState.Following).ServerId;
        var others = new[] { 1, 2, 3 }.Where(id => id != survivor).ToArray();

        await Task.WhenAll(others.Select(id => ensemble.Supervisor.Member(id).StopAsync(StopMode.Graceful, CancellationToken.None)));

        // The observer notices on its own schedule (it may still be Observing when the survivor already looks).
        var after = await ensemble.ProbeUntilAsync(
            s => s[survivor].State == PeerState.Looking && s[4].State == PeerState.Looking,
            $"server.{survivor} and the observer server.4 looking");
        Assert.Equal(ZabPhase.Election, after[survivor].Phase);
        Assert.All(others, id => Assert.Equal(PeerState.Down, after[id].State));

        await ensemble.HealthyAsync();
    }

    [ZooKeeperFact]
    public async Task NewSupervisorOnSameRoot_AdoptsLiveProcesses_FromTheirRewrittenFiles()
    {
        var installation = ZooKeeperInstallation.Locate();
        await ensemble.HealthyAsync();
        var pids = ensemble.Supervisor.Members.ToDictionary(m => m.ServerId, m => m.ProcessId);
        // ZooKeeper has rewritten every zoo.cfg to point at zoo.cfg.dynamic.<version>; the new supervisor must read that.
        Assert.All(ensemble.Supervisor.Members, m => Assert.Contains("zoo.cfg.dynamic.100000000", File.ReadAllText(m.ConfigPath)));

        var restarted = new LocalZooKeeperSupervisor(ensemble.Root, installation);
        var members = restarted.Provision(ensemble.Spec with { Members = ensemble.Spec.Members }); // ports 0: loaded from disk
        await restarted.StartAsync(CancellationToken.None);

        Assert.Equal(ensemble.Supervisor.Members.Select(m => m.Spec), members);
        Assert.All(restarted.Members, m => Assert.True(m.WasAdopted, $"server.{m.ServerId} was not adopted"));
        Assert.Equal(pids, restarted.Members.ToDictionary(m => m.ServerId, m => m.ProcessId));
        Assert.Equal(ensemble.Supervisor.SuperPassword, restarted.SuperPassword);
    }
}
