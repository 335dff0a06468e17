using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Workloads;
using QuorumPortal.Portal.History;
using QuorumPortal.Portal.Hosting;

namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>
/// A bUnit context wired as the portal wires its pages: MudBlazor (JS interop loose), the event streams, an empty
/// registry, the shared history service, and a fake clock that moves only when a test advances it, so throttled
/// renders and chart ticks happen exactly when a test says.
/// </summary>
public sealed class DashboardContext : IAsyncDisposable
{
    private readonly FakeTimeProvider? _fake;

    /// <param name="clock">The clock of everything; default a fake one that moves only when <see cref="Time"/> is advanced.</param>
    public DashboardContext(TimeProvider? clock = null)
    {
        _fake = clock is null ? new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero)) : null;
        Clock = clock ?? _fake!;
        Bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        Bunit.Services.AddMudServices();
        Bunit.Services.AddSingleton(Streams);
        Bunit.Services.AddSingleton(Clock);
        Registry = new EnsembleRegistry(Streams, new EnsembleMonitorOptions(), Clock, NullLoggerFactory.Instance);
        Bunit.Services.AddSingleton(Registry);
        Histories = new EnsembleHistoryService(Streams, Clock, NullLogger<EnsembleHistoryService>.Instance);
        Bunit.Services.AddSingleton(Histories);

        // The overview lists ensembles that failed to come back; none here (HomeNotRunningTests runs a real portal for those).
        Bunit.Services.AddSingleton(new EnsembleRestoreFailures(Clock));

        // The ensemble page also carries the operation bar and the workload panel.
        Coordinator = new OperationCoordinator(new InMemoryOperationJournal(), Clock, NullLogger<OperationCoordinator>.Instance, Streams);
        Bunit.Services.AddSingleton(Coordinator);
        Workloads = new WorkloadManager(Registry, Clock);
        Bunit.Services.AddSingleton(Workloads);
    }

    public OperationCoordinator Coordinator { get; }

    public WorkloadManager Workloads { get; }

    public BunitContext Bunit { get; } = new();

    public TimeProvider Clock { get; }

    /// <summary>The fake clock; only when the context was made without a real one.</summary>
    public FakeTimeProvider Time => _fake ?? throw new InvalidOperationException("this context runs on a real clock");

    public EnsembleEventStreams Streams { get; } = new();

    public EnsembleRegistry Registry { get; }

    public EnsembleHistoryService Histories { get; }

    /// <summary>
    /// Moves the fake clock a <paramref name="step"/> at a time (letting throttled renders and chart ticks fire) until
    /// <paramref name="condition"/> holds; for states reached only when both a background batch and a tick happened.
    /// </summary>
    public Task AdvanceUntil(Func<bool> condition, string what, TimeSpan step) =>
        Eventually.Until(
            () =>
            {
                if (condition())
                {
                    return true;
                }

                Time.Advance(step);
                return false;
            },
            what);

    public async ValueTask DisposeAsync()
    {
        await Bunit.DisposeAsync();
        await Workloads.DisposeAsync();
        await Coordinator.DisposeAsync();
        await Histories.DisposeAsync();
        await Registry.DisposeAsync();
        Streams.Dispose();
    }
}
