using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Embedded.Simulation;
using QuorumPortal.Engine.Embedded.Storage;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Embedded.Scenarios;

/// <summary>Every member crashes at once and comes back from its data directory.</summary>
public sealed class RestartScenarioTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("quorum-scenario-").FullName;
    private SimulatedEnsemble? _ensemble;

    public void Dispose()
    {
        if (_ensemble is not null)
        {
            foreach (var member in _ensemble.Known)
            {
                _ensemble.Crash(member.ServerId);
                _ensemble.StorageOf(member.ServerId).Dispose();
            }
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void FullRestart_FromFileStorage_SameHistoryAndEveryAcknowledgedWrite()
    {
        string DataDir(int id) => Path.Combine(_root, $"server-{id}");

        // A small snapCount, so recovery reads snapshots as well as logs.
        var h = new ScenarioHarness(output, 1801, 3, storage: id => new FileNodeStorage(DataDir(id), FsyncPolicy.Batched),
            settings: ScenarioHarness.Settings with { SnapCount = 100 });
        _ensemble = h.Ensemble;
        h.StartAndWaitForLeader();
        h.StartWorkload(4);
        h.WaitForAckedWrites(300, TimeSpan.FromSeconds(10), "before the restart");
        h.StopWorkload();

        // The stopped clients' sessions expire first, so nothing is left for a new leader to change.
        h.WaitFor(() => h.Ensemble.IsConverged() && h.Leader.Tree.Sessions.Count == 0, TimeSpan.FromSeconds(10),
            "converged ensemble with every workload session expired");
        var zxid = h.Leader.AppliedZxid;
        var digest = h.Leader.Digest;
        var ids = h.Ensemble.Peers.Keys.Order().ToList();
        h.Log($"crash all at {Zxid.ToHex(zxid)} (digest {digest:x16}); leader was {h.Leader.ServerId}");
        foreach (var id in ids)
        {
            h.Ensemble.Crash(id);
        }

        foreach (var id in ids)
        {
            // A new process: the old one's files closed (and lock released), the directory reopened.
            h.Ensemble.StorageOf(id).Dispose();
            h.Ensemble.ReplaceStorage(id, new FileNodeStorage(DataDir(id), FsyncPolicy.Batched));
        }

        var restartedAt = h.Now;
        h.Ensemble.StartAll();
        h.WaitConverged();
        h.Log($"leader {h.Leader.ServerId} in epoch {h.Leader.CurrentEpoch}, all synced {ScenarioHarness.Ms(h.Now - restartedAt)} ms after the restart");
        foreach (var peer in h.Ensemble.Peers.Values)
        {
            Assert.True(peer.AppliedZxid == zxid && peer.Digest == digest,
                $"server {peer.ServerId} restarted at {Zxid.ToHex(peer.AppliedZxid)} digest {peer.Digest:x16}, " +
                $"expected {Zxid.ToHex(zxid)} digest {digest:x16}; {h.Context}");
        }

        h.AssertNoLostWritesAndNoViolations();
        var after = h.Write(h.Leader, new CreateOp("/after-restart", [1], CreateMode.Persistent));
        Assert.True(after.Error is null, $"write after the restart: {after.Error}; {h.Context}");
    }
}
