using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Embedded.Scenarios;

/// <summary>Membership changes by reconfig under load, the reconfigs that must be refused, and observers.</summary>
public sealed class MembershipScenarioTests(ITestOutputHelper output)
{
    [Fact]
    public void Reconfig_AddTwoThenRemoveFollowerAndLeader_UnderLoad_NoWriteLost()
    {
        var h = new ScenarioHarness(output, 1601, 3);
        h.StartAndWaitForLeader();
        h.StartWorkload(4);
        h.WaitForAckedWrites(30, TimeSpan.FromSeconds(5), "before any change");

        foreach (var id in new[] { 4, 5 })
        {
            var config = h.Leader.Tree.Members;
            var joiner = h.Ensemble.Provision(id, MemberRole.Participant, config);
            var peer = h.Ensemble.Start(id);
            h.WaitFor(() => peer.Phase == ZabPhase.Broadcast, TimeSpan.FromSeconds(5), $"joiner {id} synced as a learner");
            var reply = h.Write(h.Leader, new ReconfigOp([.. config, joiner]));
            Assert.True(reply.Error is null, $"adding {id}: {reply.Error} {reply.Detail}; {h.Context}");
            h.WaitFor(() => h.Ensemble.IsStable() && h.Leader.Tree.Members.Any(m => m.ServerId == id), TimeSpan.FromSeconds(5),
                $"stable ensemble with {id} a member");
        }

        var leader = h.Leader;
        Assert.Equal(5, leader.Tree.Members.Count(m => m.IsVoter));
        Assert.True(h.Ensemble.Peers.Values.Count(p => p.State == PeerState.Leading) == 1, $"not exactly one leader; {h.Context}");
        h.WaitForAckedWrites(30, TimeSpan.FromSeconds(5), "with five members");

        var follower = h.Ensemble.Peers.Keys.Where(id => id != leader.ServerId).Min();
        var removed = h.Peer(follower);
        var removal = h.Write(leader, new ReconfigOp(leader.Tree.Members.Where(m => m.ServerId != follower).ToList()));
        Assert.True(removal.Error is null, $"removing {follower}: {removal.Error} {removal.Detail}; {h.Context}");
        h.WaitFor(() => removed.IsRemoved, TimeSpan.FromSeconds(3), $"server {follower} reporting itself removed");
        h.Ensemble.Forget(follower);
        h.WaitFor(h.Ensemble.IsStable, TimeSpan.FromSeconds(5), "stable ensemble of four");
        Assert.Equal(leader, h.Leader);
        h.WaitForAckedWrites(30, TimeSpan.FromSeconds(5), "with four members");

        // The leader removes itself: it commits the change, steps down, and the rest elect among themselves.
        var removedAt = h.Now;
        var leaving = h.Write(leader, new ReconfigOp(leader.Tree.Members.Where(m => m.ServerId != leader.ServerId).ToList()));
        Assert.True(leaving.Error is null, $"removing the leader {leader.ServerId}: {leaving.Error} {leaving.Detail}; {h.Context}");
        h.WaitFor(() => leader.IsRemoved && h.Ensemble.Leader is { } l && l != leader && h.Ensemble.IsStable(), TimeSpan.FromSeconds(5),
            "new leader among the remaining three");
        h.Log($"server {h.Leader.ServerId} leads the remaining members {ScenarioHarness.Ms(h.Now - removedAt)} ms after the old leader removed itself");
        h.Ensemble.Forget(leader.ServerId);
        Assert.Equal(3, h.Leader.Tree.Members.Count(m => m.IsVoter));
        Assert.DoesNotContain(h.Leader.Tree.Members, m => m.ServerId == leader.ServerId || m.ServerId == follower);
        h.WaitForAckedWrites(30, TimeSpan.FromSeconds(5), "after the leader left");

        h.StopWorkload();
        h.WaitConverged();
        h.AssertNoLostWritesAndNoViolations();
    }

    [Fact]
    public void Reconfig_NewConfigWithoutSyncedQuorum_RefusedAndNothingChanges()
    {
        var h = new ScenarioHarness(output, 1602, 3);
        var leader = h.StartAndWaitForLeader();
        var down = h.Ensemble.Peers.Keys.Where(id => id != leader.ServerId).Max();
        h.Ensemble.Crash(down);
        h.WaitFor(() => leader.GetStatus().SyncedFollowers == 1, TimeSpan.FromSeconds(2), "leader noticing the crash");

        // Two new participants that never started: 2 of 5 synced, 3 needed.
        var version = leader.Tree.ConfigVersion;
        var members = leader.Tree.Members;
        var reply = h.Write(leader, new ReconfigOp([.. members, new MemberSpec { ServerId = 4 }, new MemberSpec { ServerId = 5 }]));
        h.Log($"refused: {reply.Error} ({reply.Detail})");
        Assert.True(reply.Error == CoordinationError.NewConfigNoQuorum, $"answer {reply.Error} {reply.Detail}; {h.Context}");
        foreach (var peer in h.Ensemble.Peers.Values)
        {
            Assert.Equal(version, peer.Tree.ConfigVersion);
            Assert.Equal(members, peer.Tree.Members);
        }

        // Nothing is left pending: the member comes back and a valid change goes through.
        h.Ensemble.Start(down);
        h.WaitFor(h.Ensemble.IsStable, TimeSpan.FromSeconds(5), "stable ensemble after the restart");
        var observer = h.Ensemble.Provision(4, MemberRole.Observer, members);
        var joiner = h.Ensemble.Start(4);
        h.WaitFor(() => joiner.Phase == ZabPhase.Broadcast, TimeSpan.FromSeconds(5), "observer synced");
        var accepted = h.Write(h.Leader, new ReconfigOp([.. members, observer]));
        Assert.True(accepted.Error is null, $"a valid reconfig after the refusal: {accepted.Error} {accepted.Detail}; {h.Context}");
        h.AssertNoViolations();
    }

    [Fact]
    public void Reconfig_SecondWhileFirstUncommitted_ReconfigInProgress()
    {
        var h = new ScenarioHarness(output, 1603, 3);
        var leader = h.StartAndWaitForLeader();
        var members = leader.Tree.Members;
        var joinerSpec = h.Ensemble.Provision(4, MemberRole.Participant, members);
        var joiner = h.Ensemble.Start(4);
        h.WaitFor(() => joiner.Phase == ZabPhase.Broadcast, TimeSpan.FromSeconds(5), "joiner synced");

        // Both reach the leader's loop before any ack can come back (the network takes at least 0.1 ms).
        var first = h.Connect(leader);
        var second = h.Connect(leader);
        var firstCxid = first.Submit(new WriteOp(new ReconfigOp([.. members, joinerSpec])));
        var secondCxid = second.Submit(new WriteOp(new ReconfigOp(members.Where(m => m.ServerId != leader.ServerId).ToList())));
        h.WaitFor(() => first.Replies.ContainsKey(firstCxid) && second.Replies.ContainsKey(secondCxid), TimeSpan.FromSeconds(3), "both answers");
        var a = first.Replies[firstCxid];
        var b = second.Replies[secondCxid];
        h.Log($"first reconfig: {a.Error?.ToString() ?? "ok"}; second: {b.Error} ({b.Detail})");
        Assert.True(a.Error is null, $"first reconfig {a.Error} {a.Detail}; {h.Context}");
        Assert.True(b.Error == CoordinationError.ReconfigInProgress, $"second reconfig {b.Error} {b.Detail}; {h.Context}");
        h.WaitFor(h.Ensemble.IsStable, TimeSpan.FromSeconds(5), "stable ensemble of four");
        Assert.Equal(leader, h.Leader);
        Assert.Equal(4, leader.Tree.Members.Count);
        h.AssertNoViolations();
    }

    [Fact]
    public void Observer_ServesReadsForwardsWritesAndNeverVotes()
    {
        var h = new ScenarioHarness(output, 1701, 3, observers: 1);
        var leader = h.StartAndWaitForLeader();
        var observer = h.Peer(4);
        Assert.True(observer is { State: PeerState.Observing, Phase: ZabPhase.Broadcast }, $"server 4 is not observing; {h.Context}");

        var client = h.Connect(observer);
        var forwarded = h.Call(client, new WriteOp(new CreateOp("/via-observer", Encoding.UTF8.GetBytes("o"), CreateMode.Persistent)));
        Assert.True(forwarded.Error is null, $"a write through the observer: {forwarded.Error} {forwarded.Detail}; {h.Context}");
        Assert.NotNull(leader.Tree.GetData("/via-observer"));

        var written = h.Write(leader, new CreateOp("/via-leader", Encoding.UTF8.GetBytes("l"), CreateMode.Persistent));
        Assert.Null(written.Error);
        h.WaitFor(() => observer.AppliedZxid >= written.Zxid, TimeSpan.FromSeconds(1), "observer applying the leader's write");
        var read = h.Call(client, new ReadOp(ReadKind.GetData, "/via-leader"));
        Assert.True(read.Result is NodeData { Data: [(byte)'l'] }, $"read through the observer: {read.Error}; {h.Context}");

        // Two of three participants down: the observer is up, yet no quorum exists.
        var survivor = h.Ensemble.Peers.Keys.Where(id => id != leader.ServerId && id != observer.ServerId).Min();
        foreach (var id in h.Ensemble.Peers.Keys.Where(id => id != survivor && id != observer.ServerId).ToList())
        {
            h.Ensemble.Crash(id);
        }

        h.Log($"participants down but {survivor}; observer {observer.ServerId} up");
        Assert.False(h.RunUntil(() => h.Ensemble.Peers.Values.Any(p => p.State == PeerState.Leading), TimeSpan.FromSeconds(5)),
            $"a leader was elected without a quorum of participants; {h.Context}");
        var refused = h.NewClient();
        refused.Connect(observer);
        h.WaitFor(() => refused.IsConnected || refused.DisconnectReason is not null, TimeSpan.FromSeconds(1), "observer's answer");
        Assert.True(refused.DisconnectReason == CoordinationError.ConnectionLoss, $"observer without a leader answered {refused.DisconnectReason}; {h.Context}");

        h.Ensemble.Start(leader.ServerId);
        h.WaitFor(() => h.Ensemble.Leader is not null && observer.Phase == ZabPhase.Broadcast, TimeSpan.FromSeconds(5),
            "a leader, observed again, once a quorum of participants is back");
        h.Log($"server {h.Leader.ServerId} leads with two of three participants; observer back in Broadcast");
        Assert.Equal(PeerState.Observing, observer.State);
        Assert.NotNull(observer.Tree.GetData("/via-observer"));
        h.AssertNoViolations();
    }
}
