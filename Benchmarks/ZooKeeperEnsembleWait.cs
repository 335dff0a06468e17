using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper;

namespace QuorumPortal.Benchmarks;

/// <summary>A temporary local ZooKeeper ensemble for a benchmark, and waiting until every member serves.</summary>
internal static class ZooKeeperEnsembleWait
{
    public static LocalZooKeeperEnsemble Create(string name, int tick, out string directory)
    {
        directory = Path.Combine(Path.GetTempPath(), $"qp-bench-{name}-{Guid.NewGuid():N}");
        var settings = new EnsembleSettings { TickTime = tick, InitLimit = 10, SyncLimit = 5 };
        return new LocalZooKeeperEnsemble(EnsembleSpec.OfSize(name, 3, settings, BackendKind.LocalZooKeeper), directory);
    }

    /// <summary>
    /// Waits until one member leads and all the others follow, every one in Broadcast; returns the leader's id.
    /// (4lw does not say whom a follower follows, so "following in Broadcast" stands for "follows the leader".)
    /// </summary>
    public static async Task<int> WaitForAllServingAsync(IEnsembleBackend ensemble, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var last = "no probe";
        while (!cancel.IsCancellationRequested)
        {
            var statuses = await Task.WhenAll(ensemble.Members.Select(m => ensemble.ProbeAsync(m.ServerId, CancellationToken.None)));
            var leaders = statuses.Where(s => s.State == PeerState.Leading && s.Phase == ZabPhase.Broadcast).ToList();
            if (leaders.Count == 1 && statuses.All(s => s.Phase == ZabPhase.Broadcast && s.State is PeerState.Leading or PeerState.Following))
            {
                return leaders[0].ServerId;
            }

            last = string.Join("; ", statuses.Select(s => $"{s.ServerId}:{s.State}/{s.Phase}"));
            await Task.Delay(20, CancellationToken.None);
        }

        throw new TimeoutException($"not all members serving in Broadcast within {timeout.TotalSeconds} s: {last}");
    }

    public static async Task DisposeAsync(LocalZooKeeperEnsemble ensemble, string directory)
    {
        try
        {
            await ensemble.StopAsync(StopMode.Kill, CancellationToken.None);
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A JVM may still be closing its files; a temp directory left behind is harmless.
            }
        }
    }
}
