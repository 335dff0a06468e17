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
