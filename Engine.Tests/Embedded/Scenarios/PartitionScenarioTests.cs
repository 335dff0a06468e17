using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Embedded.Scenarios;

/// <summary>The network splits the ensemble: who keeps serving, who refuses, and how it heals.</summary>
public sealed class PartitionScenarioTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(3, 1301)]
    [InlineData(5, 1302)]
    public void MinorityPartition_FollowersCutOff_MajorityKeepsLeaderAndMinorityRefusesClients(int size, int seed)
    {
        var h = new ScenarioHarness(output, seed, size);
        var leader = h.StartAndWaitForLeader();
        var epoch = leader.CurrentEpoch;
        var leaderships = h.Ensemble.Checker.LeadersElected;
        h.StartWorkload(4);
        h.WaitForAckedWrites(50, TimeSpan.FromSeconds(5), "before the partition");

        var cut = h.Ensemble.Peers.Keys.Where(id => id != leader.ServerId).OrderDescending().Take((size - 1) / 2).ToArray();
        var rest = h.Ensemble.Peers.Keys.Except(cut).ToArray();
        h.Log($"partition [{string.Join(",", cut)}] | [{string.Join(",", rest)}]");
        h.Ensemble.Network.Partition(cut, rest);
        var cutAt = h.Now;
        h.WaitFor(() => cut.All(id => h.Peer(id).State == PeerState.Looking), TimeSpan.FromSeconds(3), "cut-off followers looking");
        h.Log($"cut-off followers looking {ScenarioHarness.Ms(h.Now - cutAt)} ms after the cut");
        h.WaitForAckedWrites(100, TimeSpan.FromSeconds(5), "on the majority side");

        foreach (var id in cut)
        {
            var client = h.NewClient();
            client.Connect(h.Peer(id));
            h.WaitFor(() => client.IsConnected || client.DisconnectReason is not null, TimeSpan.FromSeconds(1), $"answer from server {id}");
            Assert.True(!client.IsConnected && client.DisconnectReason == CoordinationError.ConnectionLoss,
                $"cut-off server {id} answered a connect with {(client.IsConnected ? "a session" : client.DisconnectReason)}; {h.Context}");
        }

        // A minority never elects a leader of its own, however long it waits.
        Assert.False(h.RunUntil(() => cut.Any(id => h.Peer(id).State != PeerState.Looking), TimeSpan.FromSeconds(3)),
            $"a cut-off follower left Looking; {h.Context}");
        Assert.True(h.Ensemble.Leader == leader && leader.CurrentEpoch == epoch && h.Ensemble.Checker.LeadersElected == leaderships,
            $"the majority's leader changed; {h.Context}");

        h.Log("heal");
        h.Ensemble.Network.Heal();
        var healedAt = h.Now;
        h.WaitFor(() => cut.All(id => h.Peer(id).Phase == ZabPhase.Broadcast && h.Peer(id).LeaderId == leader.ServerId),
            TimeSpan.FromSeconds(5), "cut-off followers back under the leader");
        h.Log($"rejoined {ScenarioHarness.Ms(h.Now - healedAt)} ms after the heal");
        h.StopWorkload();
        h.WaitConverged();
        Assert.True(h.Ensemble.Leader == leader && leader.CurrentEpoch == epoch && h.Ensemble.Checker.LeadersElected == leaderships,
            $"the leader changed when the minority rejoined; {h.Context}");
        h.AssertNoLostWritesAndNoViolations();
    }

    [Theory]
    [InlineData(3, 1401)]
    [InlineData(5, 1402)]
    public void MajorityPartition_LeaderInMinority_MinorityWritesFailAndOldLeaderResyncs(int size, int seed)
    {
        var h = new ScenarioHarness(output, seed, size);
        var oldLeader = h.StartAndWaitForLeader();
        h.StartWorkload(4);
        h.WaitForAckedWrites(50, TimeSpan.FromSeconds(5), "before the partition");

        var minority = h.Ensemble.Peers.Keys.Where(id => id != oldLeader.ServerId).Order().Take((size - 1) / 2 - 1)
            .Append(oldLeader.ServerId).ToArray();
        var majority = h.Ensemble.Peers.Keys.Except(minority).ToArray();
        var sessions = minority.Select(id => h.Connect(h.Peer(id))).ToList();
        h.Log($"partition [{string.Join(",", minority)}] (old leader {oldLeader.ServerId}) | [{string.Join(",", majority)}]");
        h.Ensemble.Network.Partition(minority, majority);
        var cutAt = h.Now;

        // Writes sent to the minority side right after the cut: the old leader still believes it leads.
        var writes = new List<(ScenarioClient Client, int Cxid, string Path)>();
        foreach (var client in sessions)
        {
            for (var i = 0; i < 3; i++)
            {
                var path = $"/minority-{client.Server!.ServerId}-{i}";
                writes.Add((client, client.Submit(new WriteOp(new CreateOp(path, Encoding.UTF8.GetBytes(path), CreateMode.Persistent))), path));
            }
        }

        h.WaitFor(() => majority.Any(id => h.Peer(id) is { State: PeerState.Leading, Phase: ZabPhase.Broadcast }),
            TimeSpan.FromSeconds(10), "leader on the majority side");
        var newLeader = majority.Select(h.Peer).Single(p => p.State == PeerState.Leading);
        h.Log($"server {newLeader.ServerId} leads epoch {newLeader.CurrentEpoch}, {ScenarioHarness.Ms(h.Now - cutAt)} ms after the cut");
        h.WaitFor(() => minority.All(id => h.Peer(id).State == PeerState.Looking), TimeSpan.FromSeconds(5), "old leader stepping down");
        h.Log($"old leader {oldLeader.ServerId} looking ({oldLeader.LookingReason}); it logged up to {Zxid.ToHex(oldLeader.LastLoggedZxid)}");
        h.WaitForAckedWrites(50, TimeSpan.FromSeconds(10), "on the majority side");

        foreach (var (client, cxid, path) in writes)
        {
            var outcome = client.Replies.TryGetValue(cxid, out var reply) ? reply.Error?.ToString() ?? "ok" : $"no answer, connection {client.DisconnectReason}";
            h.Log($"minority write {path}: {outcome}");
            Assert.True(reply is null ? client.DisconnectReason == CoordinationError.ConnectionLoss : reply.Error is not null,
                $"minority write {path} was acknowledged or left hanging: {outcome}; {h.Context}");
        }

        var late = h.NewClient();
        late.Connect(oldLeader);
        h.WaitFor(() => late.IsConnected || late.DisconnectReason is not null, TimeSpan.FromSeconds(1), "answer from the old leader");
        Assert.True(late.DisconnectReason == CoordinationError.ConnectionLoss, $"the old leader answered a connect with {late.DisconnectReason}; {h.Context}");

        var syncsBefore = newLeader.SyncsSent.ToArray();
        h.Log("heal");
        h.Ensemble.Network.Heal();
        h.WaitFor(() => oldLeader is { State: PeerState.Following, Phase: ZabPhase.Broadcast } && oldLeader.LeaderId == newLeader.ServerId,
            TimeSpan.FromSeconds(10), "old leader following the new one");
        var trunc = newLeader.SyncsSent[(int)SyncMode.Trunc] - syncsBefore[(int)SyncMode.Trunc];
        var snap = newLeader.SyncsSent[(int)SyncMode.Snap] - syncsBefore[(int)SyncMode.Snap];
        var diff = newLeader.SyncsSent[(int)SyncMode.Diff] - syncsBefore[(int)SyncMode.Diff];
        h.Log($"new leader {newLeader.ServerId} synced the minority by TRUNC {trunc}, SNAP {snap}, DIFF {diff}");
        Assert.True(trunc + snap >= minority.Length,
            $"the minority's uncommitted proposals were not cut off: TRUNC {trunc}, SNAP {snap}, DIFF {diff}; {h.Context}");

        h.StopWorkload();
        h.WaitConverged();
        Assert.Equal(newLeader, h.Leader);
        foreach (var peer in h.Ensemble.Peers.Values)
        {
            foreach (var (_, _, path) in writes)
            {
                Assert.True(peer.Tree.GetData(path) is null, $"unacknowledged minority write {path} is on server {peer.ServerId}; {h.Context}");
            }
        }

        h.AssertNoLostWritesAndNoViolations();
    }
}
