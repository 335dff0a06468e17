using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Tests.Testing;
using QuorumPortal.Engine.Tests.ZooKeeper.Local;
using QuorumPortal.Engine.Workloads;
using QuorumPortal.Engine.ZooKeeper;
using QuorumPortal.Engine.ZooKeeper.Local;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Workloads;

/// <summary>The workload on real <c>QuorumPeerMain</c> processes (Debian's zookeeper package; ./test.sh installs it).</summary>
[Trait("Category", "ZooKeeper")]
public sealed class WorkloadRunnerZooKeeperTests(ITestOutputHelper output)
{
    [ZooKeeperFact]
    public async Task Run_LocalZooKeeperThroughLeaderKill_WritesReadableAndKeySpaceDeleted()
    {
        ZooKeeperInstallation.Locate();
        var directory = Path.Combine(Path.GetTempPath(), "qp-zkworkload-" + Guid.NewGuid().ToString("N")[..8]);
        var ensemble = new LocalZooKeeperEnsemble(EnsembleSpec.OfSize("zkwl", 3, EnsembleSettings.Fast, BackendKind.LocalZooKeeper), directory);
        output.WriteLine($"local ZooKeeper ensemble in {directory}: " + string.Join(", ", ensemble.Members.Select(m => $"server.{m.ServerId} client port {m.ClientPort}")));
        try
        {
            await ensemble.StartAsync(CancellationToken.None);
            var healthy = await ensemble.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, LocalEnsembleFixture.Patience);
            var recorder = new RecordingWriteRecorder();
            var spec = new WorkloadSpec { OperationsPerSecond = 300, WriteFraction = 0.5, ValueSize = 512, Sessions = 3, Keys = 20 };
            await using var runner = new WorkloadRunner(ensemble, spec, recorder: recorder);

            runner.Start();
            var before = await WorkloadWait.UntilAsync(() => runner.Status, s => s.Reads >= 100 && s.Writes >= 100, "100 reads and 100 writes", LocalEnsembleFixture.Patience);
            output.WriteLine($"before the kill: {WorkloadWait.Describe(before)}");
            var leader = healthy.LeaderId!.Value;
            await ensemble.StopMemberAsync(leader, StopMode.Kill, CancellationToken.None);
            await ensemble.WaitForAsync(s => s.HasQuorum && s.LeaderId is { } l && l != leader, LocalEnsembleFixture.Patience);
            var after = await WorkloadWait.UntilAsync(
                () => runner.Status,
                s => s.Writes >= before.Writes + 200 && s.SessionsOpen == spec.Sessions,
                "200 more writes with every session serving after the new leader",
                LocalEnsembleFixture.Patience);
            output.WriteLine($"after leader {leader} was killed: {WorkloadWait.Describe(after)}");

            await using (var reader = await ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None))
            {
                var stopped = await runner.StopAsync(deleteKeySpace: false, CancellationToken.None);
                Assert.Equal(WorkloadState.Stopped, stopped.State);
                Assert.Equal(stopped.Writes, recorder.Acknowledged.Count);
                Assert.True(await recorder.AssertLatestWritesReadableAsync(reader) >= 10);
                Assert.Equal(512, (await reader.GetDataAsync(spec.KeyPath(0))).Data.Length);
            }

            // A second run over the same key space, told to delete it: the keys, the root and its parent go.
            await using var cleaner = new WorkloadRunner(ensemble, spec with { OperationsPerSecond = 50 });
            cleaner.Start();
            await WorkloadWait.UntilAsync(() => cleaner.Status, s => s.Writes >= 5, "5 writes", LocalEnsembleFixture.Patience);
            var cleaned = await cleaner.StopAsync(deleteKeySpace: true, CancellationToken.None);
            Assert.Null(cleaned.LastError);
            await using var check = await ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
            await check.SyncAsync();
            Assert.Null(await check.ExistsAsync("/quorum-portal/workload"));
        }
        finally
        {
            await ensemble.DisposeAsync();
            LocalEnsembleFixture.KillLeftovers(directory);
            Directory.Delete(directory, recursive: true);
        }
    }
}
