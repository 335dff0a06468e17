using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Backends;

namespace QuorumPortal.Engine.Workloads;

/// <summary>
/// Runs one <see cref="WorkloadSpec"/> against one ensemble through its coordination client: opens the sessions,
/// creates the key space, then issues reads and writes in an open loop at the spec's rate — operations come due on
/// a timer whether or not earlier ones have answered, as real clients do, so a slow ensemble shows as latency and
/// errors rather than as a lower offered load. Errors are counted and the run goes on: sessions reconnect through a
/// leader change or a killed member, and an expired session is replaced. <see cref="StopAsync"/> stops issuing,
/// waits for what is in flight and, when asked, deletes the key space.
/// </summary>
public sealed partial class WorkloadRunner : IAsyncDisposable
{
    private readonly IEnsembleBackend _backend;
    private readonly WorkloadRunnerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IWriteRecorder _recorder;
    private readonly WorkloadMetrics _metrics;
    private readonly LatencyWindow _latency;
    private readonly Random _random;
    private readonly long _nonce = Random.Shared.NextInt64();
    private readonly string[] _paths;

    // Cancelled by a stop: ends the schedule, setup retries and session opens.
    private readonly CancellationTokenSource _stopping = new();

    // Cancelled when a stop has waited DrainTimeout: abandons requests still in flight.
    private readonly CancellationTokenSource _abandon = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<CoordinationError, long> _errorsByCode = new();
    private readonly Lock _gate = new();
    private long _reads;
    private long _writes;
    private long _otherErrors;
    private long _skipped;
    private long _writeSequence;
    private int _inFlight;
    private WorkloadState _state = WorkloadState.Starting;
    private (string Message, DateTimeOffset At)? _lastError;
    private DateTimeOffset? _stoppedAt;
    private Task? _run;
    private bool _deleteKeySpace;

    public WorkloadRunner(
        IEnsembleBackend backend,
        WorkloadSpec spec,
        WorkloadRunnerOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger<WorkloadRunner>? logger = null,
        IWriteRecorder? recorder = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Spec = spec.EnsureValid();
        _backend = backend;
        _options = options ?? new WorkloadRunnerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxInFlightPerSession, 1);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<WorkloadRunner>.Instance;
        _recorder = recorder ?? NoWriteRecorder.Instance;
        _metrics = new WorkloadMetrics(backend.Name, meterFactory);
        _latency = new LatencyWindow(_time, _options.Window, slots: 10);
        Seed = _options.Seed ?? Random.Shared.Next();
        _random = new Random(Seed);
        _paths = [.. Enumerable.Range(0, spec.Keys).Select(spec.KeyPath)];
        _sessions = [.. Enumerable.Range(0, spec.Sessions).Select(i => new Session(i))];
        StartedAt = _time.GetUtcNow();
    }

    /// <summary>Raised with the new status when the state changes (not for every counter change). Handlers must be quick.</summary>
    public event Action<WorkloadStatus>? StateChanged;

    public string Ensemble => _backend.Name;

    public IEnsembleBackend Backend => _backend;

    public WorkloadSpec Spec { get; }

    public int Seed { get; }

    public DateTimeOffset StartedAt { get; }

    public WorkloadState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Completes when the run has ended (stopped or failed) and every session is closed.</summary>
    public Task Completion => _run ?? Task.CompletedTask;

    /// <summary>The counters now.</summary>
    public WorkloadStatus Status
    {
        get
        {
            var (perSecond, p50, p99) = _latency.Read();
            var byCode = _errorsByCode.ToDictionary(e => e.Key, e => e.Value);
            var other = Interlocked.Read(ref _otherErrors);
            lock (_gate)
            {
                return new WorkloadStatus
                {
                    Ensemble = Ensemble,
                    Spec = Spec,
                    State = _state,
                    StartedAt = StartedAt,
                    StoppedAt = _stoppedAt,
                    Seed = Seed,
                    Reads = Interlocked.Read(ref _reads),
                    Writes = Interlocked.Read(ref _writes),
                    Errors = byCode.Values.Sum() + other,
                    ErrorsByCode = byCode,
                    OtherErrors = other,
                    Skipped = Interlocked.Read(ref _skipped),
                    OperationsPerSecond = _state == WorkloadState.Running ? perSecond : 0,
                    LatencyP50 = p50,
                    LatencyP99 = p99,
                    Window = _latency.Window,
                    LastError = _lastError?.Message,
                    LastErrorAt = _lastError?.At,
                    SessionsOpen = _sessions.Count(s => s.Client is not null && !s.Suspect),
                    SessionsReopened = Interlocked.Read(ref _sessionsReopened),
                };
            }
        }
    }

    /// <summary>Starts the run in the background and returns at once; the state is <see cref="WorkloadState.Starting"/> until the key space exists.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_run is not null)
            {
                throw new InvalidOperationException($"The workload on {Ensemble} has already been started.");
            }

            _run = Task.Run(RunAsync);
        }

        WorkloadLog.Started(_logger, Ensemble, Spec.Summary, Spec.RootPath, Seed);
    }

    /// <summary>
    /// Stops issuing, waits up to <see cref="WorkloadRunnerOptions.DrainTimeout"/> for requests in flight, deletes the
    /// key space when <paramref name="deleteKeySpace"/> (bounded by <see cref="WorkloadRunnerOptions.CleanupTimeout"/>)
    /// and closes the sessions. Safe to call more than once and from any thread; every caller waits for the end.
    /// </summary>
    public async Task<WorkloadStatus> StopAsync(bool deleteKeySpace, CancellationToken cancellationToken)
    {
        Task run;
        lock (_gate)
        {
            _deleteKeySpace |= deleteKeySpace;
            if (_run is null)
            {
                // Never started: nothing was opened or created.
                _run = Task.CompletedTask;
                _state = WorkloadState.Stopped;
                _stoppedAt = _time.GetUtcNow();
            }

            run = _run;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Status;
    }

    public async ValueTask DisposeAsync()
    {
        // The token sources stay undisposed: they have no timers, and a late StopAsync may still cancel them.
        await StopAsync(deleteKeySpace: false, CancellationToken.None).ConfigureAwait(false);
        _metrics.Dispose();
    }

    private async Task RunAsync()
    {
        var token = _stopping.Token;
        var failed = false;
        try
        {
            foreach (var session in _sessions)
            {
                Track(OpenSessionAsync(session, reopen: false));
            }

            await CreateKeySpaceAsync(token).ConfigureAwait(false);
            SetState(WorkloadState.Running);
            WorkloadLog.Running(_logger, Ensemble, Spec.Keys, Spec.RootPath);
            await ScheduleAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            failed = true;
            Failed(e);
            WorkloadLog.RunFailed(_logger, e, Ensemble);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        SetState(WorkloadState.Stopping);
        await ShutdownAsync().ConfigureAwait(false);
        lock (_gate)
        {
            _stoppedAt = _time.GetUtcNow();
        }

        SetState(failed ? WorkloadState.Failed : WorkloadState.Stopped);
        var status = Status;
        WorkloadLog.Stopped(_logger, Ensemble, status.State, status.Reads, status.Writes, status.Errors, status.Skipped);
    }

    /// <summary>The open loop: every tick issues what has come due since the last, at most a second's worth.</summary>
    private async Task ScheduleAsync(CancellationToken cancellationToken)
    {
        var rate = Spec.OperationsPerSecond;

        // A tick per operation at low rates, at most 100 ticks a second at high ones: cheap on a shared CPU.
        var tick = TimeSpan.FromTicks(Math.Clamp(TimeSpan.TicksPerSecond / rate, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerMillisecond * 100));
        using var timer = new PeriodicTimer(tick, _time);
        var started = _time.GetTimestamp();
        long issued = 0;
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var due = (long)(_time.GetElapsedTime(started).TotalSeconds * rate);
            var count = due - issued;
            issued = due;
            if (count > rate)
            {
                // The portal's process stalled (GC, a busy CPU); issuing the backlog at once would be a burst no client makes.
                Skip(count - rate);
                count = rate;
            }

            for (var i = 0; i < count; i++)
            {
                Issue();
            }
        }
    }

    private void Skip(long count)
    {
        Interlocked.Add(ref _skipped, count);
        _metrics.Skipped(count);
    }

    private void SetState(WorkloadState state)
    {
        lock (_gate)
        {
            if (_state == state || _state is WorkloadState.Stopped or WorkloadState.Failed)
            {
                return;
            }

            _state = state;
        }

        try
        {
            StateChanged?.Invoke(Status);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A subscriber's bug must not end the run.
            WorkloadLog.SubscriberFailed(_logger, e, Ensemble);
        }
    }

    private void RecordError(string message)
    {
        lock (_gate)
        {
            _lastError = (message, _time.GetUtcNow());
        }
    }

    private void Failed(Exception e) => RecordError(e.Message);
}
