using QuorumPortal.Engine.Embedded.Simulation;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Embedded.Scenarios;

/// <summary>A member crashes under load: what clients and an operator see.</summary>
public sealed class CrashScenarioTests(ITestOutputHelper output)
{
    private static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(3, 1101)]
    [InlineData(5, 1102)]
    public void LeaderCrash_UnderLoad_NewLeaderWithinBoundAndNoWriteLost(int size, int seed)
    {
        var h = new ScenarioHarness(output, seed, size);
        var leader = h.StartAndWaitForLeader();
        h.StartWorkload(4);
        h.WaitForAckedWrites(50, TimeSpan.FromSeconds(5), "before the crash");

        var crashed = leader.ServerId;
        var crashedAt = h.Now;
        h.Log($"crash leader {crashed}");
        h.Ensemble.Crash(crashed);
        h.WaitFor(() => h.Ensemble.Leader is { } l && l.ServerId != crashed, TimeSpan.FromSeconds(10), "new leader");
        var failover = h.Now - crashedAt;
        h.Log($"leader {h.Leader.ServerId} in Broadcast (epoch {h.Leader.CurrentEpoch}) {ScenarioHarness.Ms(failover)} ms after the crash");
        Assert.True(failover <= FailoverBound, $"failover took {ScenarioHarness.Ms(failover)} ms, bound {ScenarioHarness.Ms(FailoverBound)} ms; {h.Context}");
        h.WaitForAckedWrites(50, TimeSpan.FromSeconds(5), "under the new leader");

        // The old leader comes back as a follower; every acknowledged write is on every member.
        h.Ensemble.Start(crashed);
        h.StopWorkload();
        h.WaitConverged();
        Assert.NotEqual(crashed, h.Leader.ServerId);
        h.AssertNoLostWritesAndNoViolations();
    }

    [Theory]
    [InlineData(3, 1201)]
    [InlineData(5, 1202)]
    public void FollowerCrash_UnderLoad_SameLeaderKeepsServingAndFollowerCatchesUp(int size, int seed)
    {
        var h = new ScenarioHarness(output, seed, size);
        var leader = h.StartAndWaitForLeader();
        var epoch = leader.CurrentEpoch;
        var leaderships = h.Ensemble.Checker.LeadersElected;
        h.StartWorkload(4);
        h.WaitForAckedWrites(50, TimeSpan.FromSeconds(5), "before the crash");

        var follower = h.Ensemble.Peers.Keys.Where(id => id != leader.ServerId).Max();
        h.Log($"crash follower {follower}");
        h.Ensemble.Crash(follower);
        h.WaitForAckedWrites(100, TimeSpan.FromSeconds(5), "while the follower is down");
        h.RunFor(TimeSpan.FromSeconds(1));
        Assert.True(h.Ensemble.Leader == leader && leader.CurrentEpoch == epoch && h.Ensemble.Checker.LeadersElected == leaderships,
            $"the leader changed while a follower was down; {h.Context}");

        h.Log($"restart follower {follower}");
        var restarted = h.Ensemble.Start(follower);
        h.WaitFor(() => restarted.Phase == ZabPhase.Broadcast && restarted.LeaderId == leader.ServerId, TimeSpan.FromSeconds(5),
            $"server {follower} following leader {leader.ServerId} again");
        h.Log($"server {follower} back in Broadcast under leader {leader.ServerId}");
        h.StopWorkload();
        h.WaitFor(() => restarted.AppliedZxid == leader.AppliedZxid && restarted.Digest == leader.Digest, TimeSpan.FromSeconds(5),
            $"server {follower} caught up with the leader");
        h.Log($"server {follower} caught up at {Zxid.ToHex(restarted.AppliedZxid)}");
        Assert.True(h.Ensemble.Leader == leader && leader.CurrentEpoch == epoch && h.Ensemble.Checker.LeadersElected == leaderships,
            $"the leader changed when the follower rejoined (leader last looked because: {leader.LookingReason}); {h.Context}");
        h.WaitConverged();
        h.AssertNoLostWritesAndNoViolations();
    }
}
