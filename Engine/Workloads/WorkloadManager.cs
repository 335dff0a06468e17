using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Monitoring;

namespace QuorumPortal.Engine.Workloads;

/// <summary>A start refused because the ensemble already has a workload; nothing was changed.</summary>
public sealed class WorkloadConflictException(WorkloadStatus running, string message) : InvalidOperationException(message)
{
    /// <summary>The workload that is there.</summary>
    public WorkloadStatus Running { get; } = running;
}

/// <summary>
/// The portal's workloads: at most one per ensemble, owned here rather than by the page that started it, so it keeps
/// running when the page closes. A workload is stopped when its ensemble leaves the registry (checked every
/// <see cref="RegistryCheckInterval"/>) and by <see cref="StopAllAsync"/> when the portal stops. The last status of a
/// stopped workload is kept until the next start, for the page to show.
/// </summary>
public sealed class WorkloadManager : IAsyncDisposable
{
    public static readonly TimeSpan RegistryCheckInterval = TimeSpan.FromSeconds(1);

    private readonly Func<string, IEnsembleBackend?> _lookup;
    private readonly WorkloadRunnerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly IMeterFactory? _meterFactory;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WorkloadRunner> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WorkloadStatus> _last = new(StringComparer.Ordinal);
    private readonly ITimer _registryCheck;
    private bool _stopped;

    /// <summary>Workloads on the ensembles of <paramref name="registry"/>.</summary>
    public WorkloadManager(EnsembleRegistry registry, TimeProvider timeProvider, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null, WorkloadRunnerOptions? options = null)
        : this(name => registry.TryGet(name, out var e) ? e.Backend : null, timeProvider, loggerFactory, meterFactory, options)
    {
    }

    /// <summary>Workloads on whatever backend <paramref name="lookup"/> returns for a name (null: no such ensemble).</summary>
    public WorkloadManager(Func<string, IEnsembleBackend?> lookup, TimeProvider timeProvider, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null, WorkloadRunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _lookup = lookup;
        _time = timeProvider;
        _options = options ?? new WorkloadRunnerOptions();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<WorkloadManager>();
        _meterFactory = meterFactory;
        _registryCheck = _time.CreateTimer(_ => StopOrphans(), null, RegistryCheckInterval, RegistryCheckInterval);
    }

    /// <summary>
    /// Raised with the ensemble's name when a workload starts or changes state (starting, running, stopping, stopped,
    /// failed). Counters change without it: a page polls <see cref="TryGet"/> on its own timer. Raised on whatever
    /// thread made the change; handlers must be quick and must not throw.
    /// </summary>
    public event Action<string>? Changed;

    /// <summary>
    /// Starts <paramref name="spec"/> on <paramref name="ensemble"/> and returns at once (the workload opens its sessions
    /// and creates its key space in the background). Refused, with nothing changed: an invalid spec
    /// (<see cref="Ensembles.ValidationException"/>), an unknown ensemble (<see cref="KeyNotFoundException"/>), an
    /// ensemble that already has a workload (<see cref="WorkloadConflictException"/>), or a stopped manager.
    /// </summary>
    public WorkloadStatus Start(string ensemble, WorkloadSpec spec, IWriteRecorder? recorder = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.EnsureValid();
        var backend = _lookup(ensemble) ?? throw new KeyNotFoundException($"There is no ensemble named '{ensemble}'.");
        WorkloadRunner runner;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_active.TryGetValue(ensemble, out var existing))
            {
                var running = existing.Status;
                throw new WorkloadConflictException(running, Describe(running));
            }

            runner = new WorkloadRunner(backend, spec, _options, _time, _loggerFactory.CreateLogger<WorkloadRunner>(), recorder, _meterFactory);
            runner.StateChanged += status => OnStateChanged(runner, status);
            _active.Add(ensemble, runner);
            _last.Remove(ensemble);
            runner.Start();
        }

        RaiseChanged(ensemble);
        return runner.Status;
    }

    /// <summary>The workload on <paramref name="ensemble"/> now, or the last one's final status; false when there has been none.</summary>
    public bool TryGet(string ensemble, [NotNullWhen(true)] out WorkloadStatus? status)
    {
        WorkloadRunner? runner;
        lock (_gate)
        {
            if (!_active.TryGetValue(ensemble, out runner))
            {
                return _last.TryGetValue(ensemble, out status);
            }
        }

        status = runner.Status;
        return true;
    }

    /// <summary>Whether a workload is starting, running or stopping on <paramref name="ensemble"/>.</summary>
    public bool IsActive(string ensemble)
    {
        lock (_gate)
        {
            return _active.ContainsKey(ensemble);
        }
    }

    /// <summary>
    /// Stops the workload on <paramref name="ensemble"/> (see <see cref="WorkloadRunner.StopAsync"/>) and returns its
    /// final status; null when none is active.
    /// </summary>
    public async Task<WorkloadStatus?> StopAsync(string ensemble, bool deleteKeySpace, CancellationToken cancellationToken)
    {
        WorkloadRunner? runner;
        lock (_gate)
        {
            _active.TryGetValue(ensemble, out runner);
        }

        if (runner is null)
        {
            return null;
        }

        await runner.StopAsync(deleteKeySpace, cancellationToken).ConfigureAwait(false);
        return Retire(runner);
    }

    /// <summary>Stops every workload (the portal is stopping) and refuses later starts.</summary>
    public async Task StopAllAsync(CancellationToken cancellationToken)
    {
        List<WorkloadRunner> runners;
        lock (_gate)
        {
            _stopped = true;
            runners = [.. _active.Values];
        }

        await Task.WhenAll(runners.Select(r => r.StopAsync(deleteKeySpace: false, cancellationToken))).ConfigureAwait(false);
        foreach (var runner in runners)
        {
            Retire(runner);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _registryCheck.DisposeAsync().ConfigureAwait(false);
        await StopAllAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>"a workload is already running on demo since 21:52:03: 200 ops/s, 50% writes, …".</summary>
    private string Describe(WorkloadStatus running)
    {
        var since = TimeZoneInfo.ConvertTime(running.StartedAt, _time.LocalTimeZone).ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        var what = running.State switch
        {
            WorkloadState.Starting => "is already starting",
            WorkloadState.Stopping => "is still stopping",
            _ => "is already running",
        };
        return $"a workload {what} on {running.Ensemble} since {since}: {running.Spec.Summary}";
    }

    private void OnStateChanged(WorkloadRunner runner, WorkloadStatus status)
    {
        if (!status.IsActive)
        {
            // Stopped, or failed on its own: the ensemble is free for a new start.
            Retire(runner);
            return;
        }

        RaiseChanged(runner.Ensemble);
    }

    /// <summary>Moves a finished runner from active to last-known; returns its final status.</summary>
    private WorkloadStatus Retire(WorkloadRunner runner)
    {
        var status = runner.Status;
        bool removed;
        lock (_gate)
        {
            removed = _active.TryGetValue(runner.Ensemble, out var current) && ReferenceEquals(current, runner);
            if (removed)
            {
                _active.Remove(runner.Ensemble);
                _last[runner.Ensemble] = status;
            }
        }

        if (removed)
        {
            _ = DisposeWhenDoneAsync(runner);
            RaiseChanged(runner.Ensemble);
        }

        return status;
    }

    private static async Task DisposeWhenDoneAsync(WorkloadRunner runner)
    {
        // Retire may run on the runner's own task (its last state change); wait for that task to end first.
        await runner.Completion.ConfigureAwait(false);
        await runner.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Tells every subscriber; one that throws is logged and does not stop the others or the workload.</summary>
    private void RaiseChanged(string ensemble)
    {
        foreach (var handler in Changed?.GetInvocationList().Cast<Action<string>>() ?? [])
        {
            try
            {
                handler(ensemble);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                WorkloadLog.SubscriberFailed(_logger, e, ensemble);
            }
        }
    }

    /// <summary>Stops workloads whose ensemble was removed (or replaced by another backend of the same name).</summary>
    private void StopOrphans()
    {
        List<WorkloadRunner> orphans;
        try
        {
            lock (_gate)
            {
                orphans = [.. _active.Values.Where(r => r.State is WorkloadState.Starting or WorkloadState.Running && !ReferenceEquals(_lookup(r.Ensemble), r.Backend))];
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // On a timer thread an exception would end the process; the next check tries again.
            WorkloadLog.RegistryCheckFailed(_logger, e);
            return;
        }

        foreach (var runner in orphans)
        {
            WorkloadLog.EnsembleGone(_logger, runner.Ensemble);
            _ = StopOrphanAsync(runner);
        }
    }

    private async Task StopOrphanAsync(WorkloadRunner runner)
    {
        await runner.StopAsync(deleteKeySpace: false, CancellationToken.None).ConfigureAwait(false);
        Retire(runner);
        lock (_gate)
        {
            // The ensemble is gone; so is what its workload did.
            _last.Remove(runner.Ensemble);
        }

        RaiseChanged(runner.Ensemble);
    }
}
