using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Workloads;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Workloads;

/// <summary>The workload on the embedded backend, in real time. Counts are asserted, never speeds.</summary>
public sealed class WorkloadRunnerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "qp-workload-" + Guid.NewGuid().ToString("N"));
    private EmbeddedEnsemble _ensemble = null!;

    public async Task InitializeAsync()
    {
        _ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("wl", 3, EnsembleSettings.Fast), _directory);
        output.WriteLine($"embedded ensemble seed {_ensemble.Seed}, data in {_directory}");
        await _ensemble.StartAsync(CancellationToken.None);
        await ServingAsync();
    }

    public async Task DisposeAsync()
    {
        await _ensemble.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Run_HealthyEnsemble_CountsGrowAndAcknowledgedWritesReadable()
    {
        var recorder = new RecordingWriteRecorder();
        var spec = new WorkloadSpec { OperationsPerSecond = 500, WriteFraction = 0.5, ValueSize = 100, Sessions = 3, Keys = 20 };
        await using var runner = new WorkloadRunner(_ensemble, spec, recorder: recorder);
        Assert.Equal(WorkloadState.Starting, runner.Status.State);

        runner.Start();
        var running = await WorkloadWait.UntilAsync(() => runner.Status, s => s.Reads >= 200 && s.Writes >= 200, "200 reads and 200 writes");
        var stopped = await runner.StopAsync(deleteKeySpace: false, CancellationToken.None);
        output.WriteLine(WorkloadWait.Describe(running));
        output.WriteLine(WorkloadWait.Describe(stopped));

        Assert.Equal(WorkloadState.Stopped, stopped.State);
        Assert.Equal(0, stopped.Errors);
        Assert.Equal(stopped.Writes, recorder.Acknowledged.Count);
        Assert.Empty(recorder.Unknown);
        Assert.NotNull(running.LatencyP99);
        Assert.True(running.LatencyP50 <= running.LatencyP99);
        Assert.Equal(3, running.SessionsOpen);
        Assert.NotNull(stopped.StoppedAt);
        await using var reader = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        Assert.Equal(20, (await reader.GetChildrenAsync("/quorum-portal/workload")).Count);
        var checkedKeys = await recorder.AssertLatestWritesReadableAsync(reader);
        Assert.True(checkedKeys > 10, $"only {checkedKeys} of 20 keys written");
        Assert.Equal(100, (await reader.GetDataAsync(recorder.Acknowledged.First().Path)).Data.Length);
    }

    [Fact]
    public async Task Run_StoppedThenCounted_NoMoreRequestsAfterStop()
    {
        var recorder = new RecordingWriteRecorder();
        await using var runner = new WorkloadRunner(_ensemble, new WorkloadSpec { OperationsPerSecond = 2000, WriteFraction = 1, ValueSize = 10, Sessions = 2, Keys = 5 }, recorder: recorder);
        runner.Start();
        await WorkloadWait.UntilAsync(() => runner.Status, s => s.Writes >= 300, "300 writes");

        var stopped = await runner.StopAsync(deleteKeySpace: false, CancellationToken.None);
        var acknowledged = recorder.Acknowledged.Count;
        var unknown = recorder.Unknown.Count;
        await using var reader = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        await reader.SyncAsync();
        var versions = 0;
        for (var i = 0; i < 5; i++)
        {
            versions += (await reader.GetDataAsync(runner.Spec.KeyPath(i))).Stat.Version;
        }

        // Every setData bumps a version once; after the stop none is in flight, so the tree agrees with the counts.
        Assert.Equal(stopped.Writes, acknowledged);
        Assert.InRange(versions, acknowledged, acknowledged + unknown);
        Assert.Equal(stopped.Writes, runner.Status.Writes);
        Assert.Equal(acknowledged, recorder.Acknowledged.Count);
    }

    [Fact]
    public async Task Run_LeaderKilled_RunGoesOnAndEverySessionServesAgain()
    {
        var recorder = new RecordingWriteRecorder();
        var spec = new WorkloadSpec { OperationsPerSecond = 500, WriteFraction = 0.5, ValueSize = 100, Sessions = 6, Keys = 50 };
        await using var runner = new WorkloadRunner(_ensemble, spec, recorder: recorder);
        runner.Start();
        await WorkloadWait.UntilAsync(() => runner.Status, s => s.Writes >= 200, "200 writes before the kill");
        var leader = (await ServingAsync()).LeaderId!.Value;

        await _ensemble.StopMemberAsync(leader, StopMode.Kill, CancellationToken.None);
        var after = await _ensemble.WaitForAsync(s => s.HasQuorum && s.LeaderId is { } l && l != leader, TimeSpan.FromSeconds(10));
        var atElection = runner.Status;
        output.WriteLine($"leader {leader} killed; server {after.LeaderId} leads; workload then: {WorkloadWait.Describe(atElection)}");

        var recovered = await WorkloadWait.UntilAsync(
            () => runner.Status,
            s => s.Writes >= atElection.Writes + 500 && s.Reads >= atElection.Reads + 500 && s.SessionsOpen == spec.Sessions,
            "500 more writes and reads, every session serving, after the election");
        var stopped = await runner.StopAsync(deleteKeySpace: false, CancellationToken.None);
        output.WriteLine(WorkloadWait.Describe(stopped));

        // Whether requests were in flight on the killed leader's sessions is chance; what failed, if anything, is named.
        Assert.Equal(WorkloadState.Running, recovered.State);
        Assert.Equal(stopped.Errors, stopped.ErrorsByCode.Values.Sum() + stopped.OtherErrors);
        Assert.All(stopped.ErrorsByCode.Keys, code => Assert.Contains(code, new[] { CoordinationError.ConnectionLoss, CoordinationError.NoQuorum, CoordinationError.SessionMoved }));
        Assert.Equal(0, stopped.OtherErrors);
        await using var reader = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        await recorder.AssertLatestWritesReadableAsync(reader);
    }

    [Fact]
    public async Task Run_SessionsPinnedToKilledLeader_ErrorsCountedUntilRestartThenSessionsServeAgain()
    {
        var leader = (await ServingAsync()).LeaderId!.Value;
        var recorder = new RecordingWriteRecorder();
        var spec = new WorkloadSpec { OperationsPerSecond = 300, WriteFraction = 0.5, ValueSize = 100, Sessions = 3, Keys = 20 };
        var options = new WorkloadRunnerOptions { Client = new ClientOptions { ServerIds = [leader], SessionTimeout = TimeSpan.FromSeconds(1) } };
        await using var runner = new WorkloadRunner(_ensemble, spec, options, recorder: recorder);
        runner.Start();
        await WorkloadWait.UntilAsync(() => runner.Status, s => s.Writes >= 100, "100 writes before the kill");

        await _ensemble.StopMemberAsync(leader, StopMode.Kill, CancellationToken.None);
        var down = await WorkloadWait.UntilAsync(() => runner.Status, s => s.Errors >= spec.Sessions && s.SessionsOpen == 0, "every session failing while its member is down");
        output.WriteLine($"server {leader} killed: {WorkloadWait.Describe(down)}");
        await _ensemble.StartMemberAsync(leader, CancellationToken.None);

        var recovered = await WorkloadWait.UntilAsync(
            () => runner.Status,
            s => s.Writes >= down.Writes + 300 && s.SessionsOpen == spec.Sessions,
            "300 more writes with every session serving after the restart");
        var stopped = await runner.StopAsync(deleteKeySpace: false, CancellationToken.None);
        output.WriteLine(WorkloadWait.Describe(stopped));

        Assert.Equal(WorkloadState.Running, recovered.State);
        Assert.True(stopped.ErrorsByCode.GetValueOrDefault(CoordinationError.ConnectionLoss) > 0, "requests fail with connection loss while the member is down");
        Assert.NotNull(down.LastError);
        await using var reader = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        await recorder.AssertLatestWritesReadableAsync(reader);
    }

    [Fact]
    public async Task StopAsync_DeleteKeySpace_KeysRootAndCreatedParentGone()
    {
        var spec = new WorkloadSpec { OperationsPerSecond = 200, Keys = 30, RootPath = "/wl-test/deep/workload" };
        await using (var setup = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None))
        {
            await setup.CreateAsync("/wl-test", ReadOnlyMemory<byte>.Empty);
        }

        await using var runner = new WorkloadRunner(_ensemble, spec);
        runner.Start();
        await WorkloadWait.UntilAsync(() => runner.Status, s => s.Writes >= 20, "20 writes");

        var stopped = await runner.StopAsync(deleteKeySpace: true, CancellationToken.None);

        Assert.Null(stopped.LastError);
        await using var reader = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        await reader.SyncAsync();
        Assert.Null(await reader.ExistsAsync("/wl-test/deep/workload"));
        Assert.Null(await reader.ExistsAsync("/wl-test/deep"));
        Assert.NotNull(await reader.ExistsAsync("/wl-test"));
    }

    [Fact]
    public async Task StopAsync_DeleteKeySpaceWithForeignNode_KeysGoneRootKeptAndSaid()
    {
        var spec = new WorkloadSpec { OperationsPerSecond = 100, Keys = 5, RootPath = "/shared" };
        await using var runner = new WorkloadRunner(_ensemble, spec);
        runner.Start();
        await WorkloadWait.UntilAsync(() => runner.Status, s => s.State == WorkloadState.Running, "running");
        await using var other = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        await other.CreateAsync("/shared/not-the-workloads", ReadOnlyMemory<byte>.Empty);

        var stopped = await runner.StopAsync(deleteKeySpace: true, CancellationToken.None);

        await other.SyncAsync();
        Assert.Equal(["not-the-workloads"], await other.GetChildrenAsync("/shared"));
        Assert.Contains("/shared was kept", stopped.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_WithoutDelete_KeySpaceStays()
    {
        await using var runner = new WorkloadRunner(_ensemble, new WorkloadSpec { Keys = 3 });
        runner.Start();
        await WorkloadWait.UntilAsync(() => runner.Status, s => s.State == WorkloadState.Running, "running");

        await runner.StopAsync(deleteKeySpace: false, CancellationToken.None);

        await using var reader = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        Assert.Equal(["k00000", "k00001", "k00002"], (await reader.GetChildrenAsync("/quorum-portal/workload")).Order());
    }

    [Fact]
    public async Task Start_RootUnderEphemeral_FailsWithClearMessageAndClosesSessions()
    {
        await using var owner = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        await owner.CreateAsync("/lease", ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral);
        await using var runner = new WorkloadRunner(_ensemble, new WorkloadSpec { RootPath = "/lease/workload" });

        runner.Start();
        await runner.Completion;

        var status = runner.Status;
        Assert.Equal(WorkloadState.Failed, status.State);
        Assert.Contains("cannot create /lease/workload", status.LastError, StringComparison.Ordinal);
        Assert.Contains("ephemeral", status.LastError, StringComparison.Ordinal);
        Assert.Equal(0, status.SessionsOpen);
    }

    [Fact]
    public async Task StopAsync_NeverStarted_StoppedWithNothingDone()
    {
        var runner = new WorkloadRunner(_ensemble, new WorkloadSpec());

        var status = await runner.StopAsync(deleteKeySpace: true, CancellationToken.None);
        await runner.DisposeAsync();

        Assert.Equal(WorkloadState.Stopped, status.State);
        Assert.Equal(0, status.Reads + status.Writes + status.Errors);
        await using var reader = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        Assert.Null(await reader.ExistsAsync("/quorum-portal"));
    }

    [Fact]
    public void Constructor_InvalidSpec_ThrowsWithTheFields()
    {
        var error = Assert.Throws<ValidationException>(() => new WorkloadRunner(_ensemble, new WorkloadSpec { OperationsPerSecond = 0 }));

        Assert.Equal("operationsPerSecond", Assert.Single(error.Errors).Field);
    }

    private Task<EnsembleSnapshot> ServingAsync() =>
        _ensemble.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, TimeSpan.FromSeconds(30));
}
