using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Embedded.Scenarios;

/// <summary>Each way a leader brings a learner up to date (DIFF, SNAP, TRUNC), provoked on purpose.</summary>
public sealed class SyncModeScenarioTests(ITestOutputHelper output)
{
    [Fact]
    public void Sync_FollowerDownBriefly_LeaderSendsDiff()
    {
        var h = new ScenarioHarness(output, 1501, 3);
        var leader = h.StartAndWaitForLeader();
        h.StartWorkload(3);
        h.WaitForAckedWrites(20, TimeSpan.FromSeconds(5), "before the crash");
        var follower = FollowerOf(h, leader);
        h.Ensemble.Crash(follower);
        h.WaitForAckedWrites(30, TimeSpan.FromSeconds(5), "while the follower is down");

        var before = leader.SyncsSent.ToArray();
        var restarted = h.Ensemble.Start(follower);
        h.WaitFor(() => restarted.Phase == ZabPhase.Broadcast, TimeSpan.FromSeconds(5), $"server {follower} synced");
        AssertSyncedBy(h, leader, before, SyncMode.Diff);
        h.StopWorkload();
        h.WaitConverged();
        h.AssertNoLostWritesAndNoViolations();
    }

    [Fact]
    public void Sync_FollowerMissedMoreThanCommittedLog_LeaderSendsSnap()
    {
        const int capacity = 50;
        var h = new ScenarioHarness(output, 1502, 3, options: ScenarioHarness.Options with { CommittedLogCapacity = capacity });
        var leader = h.StartAndWaitForLeader();
        h.StartWorkload(3);
        h.WaitForAckedWrites(20, TimeSpan.FromSeconds(5), "before the crash");
        var follower = FollowerOf(h, leader);
        var downAt = h.Ensemble.Peers[follower].AppliedZxid;
        h.Ensemble.Crash(follower);
        h.WaitFor(() => leader.AppliedZxid - downAt > 3 * capacity, TimeSpan.FromSeconds(10),
            $"more than {3 * capacity} transactions committed while server {follower} is down");
        h.Log($"server {follower} down at {Zxid.ToHex(downAt)}, leader at {Zxid.ToHex(leader.AppliedZxid)}");

        var before = leader.SyncsSent.ToArray();
        var restarted = h.Ensemble.Start(follower);
        h.WaitFor(() => restarted.Phase == ZabPhase.Broadcast, TimeSpan.FromSeconds(5), $"server {follower} synced");
        AssertSyncedBy(h, leader, before, SyncMode.Snap);
        h.StopWorkload();
        h.WaitConverged();
        h.AssertNoLostWritesAndNoViolations();
    }

    [Fact]
    public void Sync_OldLeaderWithUnreplicatedProposals_NewLeaderSendsTrunc()
    {
        var h = new ScenarioHarness(output, 1503, 3);
        var oldLeader = h.StartAndWaitForLeader();
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(h.Write(oldLeader, new CreateOp($"/committed-{i}", [1], CreateMode.Persistent)).Error);
        }

        // Cut the leader off, then hand it writes: it logs proposals nobody else receives, and crashes.
        var client = h.Connect(oldLeader);
        var committed = oldLeader.AppliedZxid;
        h.Ensemble.Network.Isolate(oldLeader.ServerId);
        var orphans = Enumerable.Range(0, 4).Select(i => $"/orphan-{i}").ToList();
        foreach (var path in orphans)
        {
            client.Submit(new WriteOp(new CreateOp(path, Encoding.UTF8.GetBytes(path), CreateMode.Persistent)));
        }

        h.WaitFor(() => oldLeader.LastLoggedZxid >= committed + orphans.Count, TimeSpan.FromSeconds(1), "orphan proposals logged by the old leader");
        h.Log($"old leader {oldLeader.ServerId} logged up to {Zxid.ToHex(oldLeader.LastLoggedZxid)}, committed {Zxid.ToHex(committed)}; crash it");
        var old = oldLeader.ServerId;
        h.Ensemble.Crash(old);
        Assert.Equal(CoordinationError.ConnectionLoss, client.DisconnectReason);

        var crashedAt = h.Now;
        h.WaitFor(() => h.Ensemble.Leader is { } l && l.ServerId != old, TimeSpan.FromSeconds(5), "new leader");
        var newLeader = h.Leader;

        // The followers saw no connection reset (the old leader was cut off): they notice after syncLimit ticks.
        var failover = h.Now - crashedAt;
        h.Log($"server {newLeader.ServerId} leads {ScenarioHarness.Ms(failover)} ms after the silent crash");
        Assert.True(failover <= TimeSpan.FromSeconds(2), $"failover took {ScenarioHarness.Ms(failover)} ms; {h.Context}");
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(h.Write(newLeader, new CreateOp($"/after-{i}", [2], CreateMode.Persistent)).Error);
        }

        var before = newLeader.SyncsSent.ToArray();
        h.Ensemble.Network.Heal();
        var restarted = h.Ensemble.Start(old);
        h.WaitFor(() => restarted.Phase == ZabPhase.Broadcast, TimeSpan.FromSeconds(5), $"server {old} synced");
        Assert.Equal(newLeader, h.Leader);
        AssertSyncedBy(h, newLeader, before, SyncMode.Trunc);
        h.WaitConverged();
        foreach (var peer in h.Ensemble.Peers.Values)
        {
            Assert.All(orphans, path => Assert.True(peer.Tree.GetData(path) is null, $"orphan {path} survived on server {peer.ServerId}; {h.Context}"));
            Assert.True(peer.Tree.GetData("/after-2") is not null && peer.Tree.GetData("/committed-2") is not null,
                $"committed writes missing on server {peer.ServerId}; {h.Context}");
        }

        h.AssertNoViolations();
    }

    private static int FollowerOf(ScenarioHarness h, QuorumPeer leader) =>
        h.Ensemble.Peers.Keys.Where(id => id != leader.ServerId).Min();

    private static void AssertSyncedBy(ScenarioHarness h, QuorumPeer leader, int[] before, SyncMode expected)
    {
        var delta = leader.SyncsSent.Select((count, mode) => count - before[mode]).ToArray();
        h.Log($"leader {leader.ServerId} syncs since the restart: DIFF {delta[0]}, TRUNC {delta[1]}, SNAP {delta[2]}");
        Assert.True(delta[(int)expected] == 1 && delta.Sum() == 1,
            $"expected exactly one {expected} sync; DIFF {delta[0]}, TRUNC {delta[1]}, SNAP {delta[2]}; {h.Context}");
    }
}
