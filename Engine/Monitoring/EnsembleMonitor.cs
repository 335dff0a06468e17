using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Engine.Monitoring;

/// <summary>
/// Probes every member of one ensemble each <see cref="EnsembleMonitorOptions.ProbeInterval"/>, turns the
/// difference between two rounds into events and publishes both the new snapshot and the events on
/// <see cref="Events"/>. A round is <see cref="ProbeOnceAsync"/>; the loop started by <see cref="StartAsync"/>
/// only calls it on a timer, so tests drive rounds themselves with a fake clock.
/// </summary>
public sealed partial class EnsembleMonitor : IAsyncDisposable
{
    private readonly IEnsembleBackend _backend;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly MonitorMetrics _metrics;
    private readonly bool _ownsEvents;

    // Rounds never overlap: the loop and a caller of ProbeOnceAsync take turns.
    private readonly SemaphoreSlim _round = new(1, 1);
    private readonly Lock _lifecycle = new();
    private CancellationTokenSource? _stopping;
    private Task? _loop;
    private bool _disposed;

    public EnsembleMonitor(
        IEnsembleBackend backend,
        EnsembleMonitorOptions options,
        TimeProvider timeProvider,
        ILogger<EnsembleMonitor> logger,
        EnsembleEventStream? events = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        Options = options.EnsureValid();
        _backend = backend;
        _time = timeProvider;
        _logger = logger;
        _ownsEvents = events is null;
        Events = events ?? new EnsembleEventStream(backend.Name, meterFactory: meterFactory);
        _metrics = new MonitorMetrics(backend.Name, meterFactory);
    }

    public string Ensemble => _backend.Name;

    public EnsembleMonitorOptions Options { get; }

    /// <summary>The snapshot and event fan-out this monitor publishes to.</summary>
    public EnsembleEventStream Events { get; }

    /// <summary>The last round's snapshot; null before the first round.</summary>
    public EnsembleSnapshot? Current => Events.Current;

    public bool IsRunning
    {
        get
        {
            lock (_lifecycle)
            {
                return _loop is { IsCompleted: false };
            }
        }
    }

    /// <summary>Starts probing: a first round at once, then one per interval. Returns without waiting for a round.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loop is { IsCompleted: false })
            {
                throw new InvalidOperationException($"The monitor of {Ensemble} is already running.");
            }

            _stopping?.Dispose();
            _stopping = new CancellationTokenSource();
            var stopping = _stopping.Token;
            _loop = Task.Run(() => RunAsync(stopping), CancellationToken.None);
        }

        MonitorLog.Started(_logger, Ensemble, Options.ProbeInterval);
        return Task.CompletedTask;
    }

    /// <summary>Stops probing and waits for a round in progress to end.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task? loop;
        lock (_lifecycle)
        {
            loop = _loop;
            _stopping?.Cancel();
        }

        if (loop is not null)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping?.Dispose();
        if (_ownsEvents)
        {
            Events.Dispose();
        }

        _metrics.Dispose();
    }

    /// <summary>
    /// One round: probes every member in parallel, publishes the new snapshot and the events it implies, and
    /// returns the snapshot. A member whose probe throws or times out is reported down with the reason.
    /// </summary>
    public async Task<EnsembleSnapshot> ProbeOnceAsync(CancellationToken cancellationToken)
    {
        await _round.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var started = _time.GetTimestamp();
            var members = _backend.Members.ToArray();
            var statuses = await Task.WhenAll(members.Select(m => ProbeMemberAsync(m, cancellationToken))).ConfigureAwait(false);
            var snapshot = _backend.Snapshot(members, statuses, _time.GetUtcNow());

            var events = Diff(snapshot, _backend.Settings);
            Events.Publish(snapshot, events);
            foreach (var e in events)
            {
                _metrics.Emitted(e.Kind);
                Log(e);
            }

            var elapsed = _time.GetElapsedTime(started);
            _metrics.Round(elapsed);
            if (elapsed > Options.ProbeInterval)
            {
                MonitorLog.RoundOverran(_logger, Ensemble, elapsed, Options.ProbeInterval);
            }

            return snapshot;
        }
        finally
        {
            _round.Release();
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        // PeriodicTimer keeps at most one tick pending, so a round longer than the interval delays the next
        // round instead of queueing a backlog.
        using var timer = new PeriodicTimer(Options.ProbeInterval, _time);
        try
        {
            do
            {
                try
                {
                    await ProbeOnceAsync(stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    MonitorLog.RoundFailed(_logger, ex, Ensemble);
                }
            }
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        MonitorLog.Stopped(_logger, Ensemble);
    }

    private async Task<MemberStatus> ProbeMemberAsync(MemberSpec member, CancellationToken cancellationToken)
    {
        _metrics.Probed();
        using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        string reason;
        string error;
        try
        {
            var status = await _backend.ProbeAsync(member.ServerId, probe.Token)
                .WaitAsync(Options.ProbeTimeout, _time, cancellationToken)
                .ConfigureAwait(false);
            if (status.State == PeerState.Down)
            {
                _metrics.ProbeFailed("down");
            }

            return status;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutException)
        {
            await probe.CancelAsync().ConfigureAwait(false);
            reason = "timeout";
            error = $"probe not answered within {Options.ProbeTimeout}";
        }
        catch (Exception ex)
        {
            reason = "exception";
            error = ex.Message;
        }

        _metrics.ProbeFailed(reason);
        MonitorLog.ProbeFailed(_logger, Ensemble, member.ServerId, error);
        return MemberStatus.Down(member.ServerId, _time.GetUtcNow(), error) with { Role = member.Role };
    }

    private void Log(EnsembleEvent e)
    {
        switch (e)
        {
            case LeaderElected x:
                MonitorLog.LeaderElected(_logger, Ensemble, x.NewLeaderId, x.Epoch, x.OldLeaderId, x.LeaderlessFor);
                break;
            case LeaderLost x:
                MonitorLog.LeaderLost(_logger, Ensemble, x.OldLeaderId, x.Epoch);
                break;
            case QuorumLost x:
                MonitorLog.QuorumLost(_logger, Ensemble, x.ServingVoters, x.Voters);
                break;
            case QuorumRestored x:
                MonitorLog.QuorumRestored(_logger, Ensemble, x.ServingVoters, x.Voters, x.WithoutQuorumFor);
                break;
            case PeerStateChanged x:
                MonitorLog.PeerStateChanged(_logger, Ensemble, x.ServerId, x.OldState, x.NewState, x.Epoch);
                break;
            case HeartbeatMissed x:
                MonitorLog.HeartbeatMissed(_logger, Ensemble, x.ServerId, x.MissedFor);
                break;
            case MembershipChanged x:
                MonitorLog.MembershipChanged(_logger, Ensemble, x.Members.Count, x.ConfigVersion);
                break;
        }
    }
}
