using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Workloads;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Workloads;

/// <summary>One workload per ensemble, owned by the manager, on a real embedded ensemble.</summary>
public sealed class WorkloadManagerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly EmbeddedEnsemble _ensemble = new(EnsembleSpec.OfSize("wl", 3, EnsembleSettings.Fast));
    private WorkloadManager _manager = null!;

    public async Task InitializeAsync()
    {
        output.WriteLine($"embedded ensemble seed {_ensemble.Seed}");
        await _ensemble.StartAsync(CancellationToken.None);
        await _ensemble.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, TimeSpan.FromSeconds(30));
        _manager = new WorkloadManager(name => name == "wl" ? _ensemble : null, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _manager.DisposeAsync();
        await _ensemble.DisposeAsync();
    }

    [Fact]
    public async Task Start_SecondOnSameEnsemble_RefusedNamingWhatRunsAndNothingChanges()
    {
        _manager.Start("wl", new WorkloadSpec());
        await RunningAsync();

        var refused = Assert.Throws<WorkloadConflictException>(() => _manager.Start("wl", new WorkloadSpec { OperationsPerSecond = 5000, ValueSize = 10 }));

        Assert.Matches(new Regex("^a workload is already running on wl since [0-2][0-9]:[0-5][0-9]:[0-5][0-9]: 200 ops/s, 50% writes, 1024-byte values, 4 sessions$"), refused.Message);
        Assert.Equal(WorkloadState.Running, refused.Running.State);
        Assert.True(_manager.TryGet("wl", out var status));
        Assert.Equal(200, status.Spec.OperationsPerSecond);
    }

    [Fact]
    public void Start_InvalidSpec_ValidationErrorsAndNothingStarted()
    {
        var error = Assert.Throws<ValidationException>(() => _manager.Start("wl", new WorkloadSpec { OperationsPerSecond = 0, WriteFraction = 75 }));

        Assert.Equal(["operationsPerSecond", "writeFraction"], error.Errors.Select(e => e.Field));
        Assert.False(_manager.IsActive("wl"));
        Assert.False(_manager.TryGet("wl", out _));
    }

    [Fact]
    public void Start_UnknownEnsemble_RefusedNamingIt()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => _manager.Start("nope", new WorkloadSpec()));

        Assert.Equal("There is no ensemble named 'nope'.", error.Message);
        Assert.False(_manager.IsActive("nope"));
    }

    [Fact]
    public async Task StopAsync_Running_FinalStatusKeptAndANewStartAllowed()
    {
        var changes = new ConcurrentQueue<string>();
        _manager.Changed += changes.Enqueue;
        _manager.Start("wl", new WorkloadSpec { Keys = 5 });
        await WorkloadWait.UntilAsync(Current, s => s.Writes >= 20, "20 writes");

        var stopped = await _manager.StopAsync("wl", deleteKeySpace: true, CancellationToken.None);

        Assert.Equal(WorkloadState.Stopped, stopped!.State);
        Assert.False(_manager.IsActive("wl"));
        Assert.True(_manager.TryGet("wl", out var kept));
        Assert.Equal(WorkloadState.Stopped, kept.State);
        Assert.True(kept.Writes >= 20);
        Assert.All(changes, name => Assert.Equal("wl", name));
        Assert.True(changes.Count >= 3, $"start, running and stopped are announced; saw {changes.Count}");
        await using (var reader = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None))
        {
            Assert.Null(await reader.ExistsAsync("/quorum-portal"));
        }

        var again = _manager.Start("wl", new WorkloadSpec { OperationsPerSecond = 10 });
        Assert.Equal(10, again.Spec.OperationsPerSecond);
        Assert.Equal(WorkloadState.Starting, again.State);
    }

    [Fact]
    public async Task Changed_SubscriberThrows_WorkloadRunsOnAndOthersAreTold()
    {
        var told = new ConcurrentQueue<string>();
        _manager.Changed += _ => throw new InvalidOperationException("a page's bug");
        _manager.Changed += told.Enqueue;

        _manager.Start("wl", new WorkloadSpec());

        var running = await WorkloadWait.UntilAsync(Current, s => s.State == WorkloadState.Running && s.Writes > 0, "running with writes");
        Assert.Null(running.LastError);
        Assert.Contains("wl", told);
    }

    [Fact]
    public async Task StopAsync_NothingRunning_Null()
    {
        Assert.Null(await _manager.StopAsync("wl", deleteKeySpace: false, CancellationToken.None));
    }

    [Fact]
    public async Task Start_WorkloadFailsOnItsOwn_FailureShownAndEnsembleFreeAgain()
    {
        await using var owner = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        await owner.CreateAsync("/lease", ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral);

        _manager.Start("wl", new WorkloadSpec { RootPath = "/lease/workload" });
        var failed = await WorkloadWait.UntilAsync(Current, s => s.State == WorkloadState.Failed, "failed");

        Assert.Contains("cannot create /lease/workload", failed.LastError, StringComparison.Ordinal);
        Assert.False(_manager.IsActive("wl"));
        _manager.Start("wl", new WorkloadSpec());
        Assert.True(_manager.IsActive("wl"));
    }

    [Fact]
    public async Task StopAllAsync_Running_StoppedAndLaterStartsRefused()
    {
        _manager.Start("wl", new WorkloadSpec());
        await RunningAsync();

        await _manager.StopAllAsync(CancellationToken.None);

        Assert.False(_manager.IsActive("wl"));
        Assert.True(_manager.TryGet("wl", out var status));
        Assert.Equal(WorkloadState.Stopped, status.State);
        Assert.Throws<ObjectDisposedException>(() => _manager.Start("wl", new WorkloadSpec()));
    }

    [Fact]
    public async Task EnsembleLeavesRegistry_WorkloadStoppedAndForgotten()
    {
        using var streams = new EnsembleEventStreams();
        await using var registry = new EnsembleRegistry(streams, new EnsembleMonitorOptions(), TimeProvider.System, NullLoggerFactory.Instance);
        var backend = new EmbeddedEnsemble(EnsembleSpec.OfSize("reg", 3, EnsembleSettings.Fast));
        output.WriteLine($"registered ensemble seed {backend.Seed}");
        await registry.AddAsync(backend, CancellationToken.None);
        await backend.WaitForAsync(s => s.HasQuorum, TimeSpan.FromSeconds(30));
        await using var manager = new WorkloadManager(registry, TimeProvider.System);
        manager.Start("reg", new WorkloadSpec());
        await WorkloadWait.UntilAsync(() => Status(manager, "reg"), s => s.State == WorkloadState.Running, "running");

        await registry.StopAsync(CancellationToken.None);

        // The manager notices on its next registry check, stops the workload and forgets it with the ensemble.
        await WorkloadWait.UntilAsync(() => Status(manager, "reg"), _ => !manager.IsActive("reg") && !manager.TryGet("reg", out WorkloadStatus? _), "stopped and forgotten after the ensemble left");
        Assert.Throws<KeyNotFoundException>(() => manager.Start("reg", new WorkloadSpec()));
    }

    private WorkloadStatus Current() => Status(_manager, "wl");

    private static WorkloadStatus Status(WorkloadManager manager, string name) =>
        manager.TryGet(name, out var status)
            ? status
            : new WorkloadStatus { Ensemble = name, Spec = new WorkloadSpec(), State = WorkloadState.Stopped, StartedAt = default };

    private Task<WorkloadStatus> RunningAsync() => WorkloadWait.UntilAsync(Current, s => s.State == WorkloadState.Running, "running");
}
