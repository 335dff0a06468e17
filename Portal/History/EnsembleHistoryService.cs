using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Portal.History;

/// <summary>
/// Keeps an <see cref="EnsembleHistory"/> per ensemble, each fed by one subscription to the ensemble's event stream,
/// shared by every circuit (a page opened now shows the last five minutes without each page keeping its own).
/// A stream is followed from the moment it is created (<see cref="EnsembleEventStreams.StreamAdded"/>), so its
/// first round is kept too; a scan every <see cref="ScanInterval"/> picks up anything missed.
/// </summary>
public sealed partial class EnsembleHistoryService : IHostedService, IAsyncDisposable
{
    public static readonly TimeSpan ScanInterval = TimeSpan.FromSeconds(1);

    private readonly EnsembleEventStreams _streams;
    private readonly TimeProvider _time;
    private readonly ILogger<EnsembleHistoryService> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, Tracked> _tracked = new(StringComparer.Ordinal);
    private readonly Lock _trackLock = new();
    private Task? _scan;
    private bool _disposed;

    public EnsembleHistoryService(EnsembleEventStreams streams, TimeProvider timeProvider, ILogger<EnsembleHistoryService> logger)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _streams = streams;
        _time = timeProvider;
        _logger = logger;
        _streams.StreamAdded += Track;
    }

    /// <summary>Raised (on a background thread) when an ensemble is first published, so lists of ensembles refresh.</summary>
    public event Action? EnsemblesChanged;

    /// <summary>
    /// Names of the ensembles with at least one published round, ordered (a stream that a subscriber created by
    /// name and nobody publishes to is not an ensemble).
    /// </summary>
    public IReadOnlyList<string> Ensembles =>
        [.. _tracked.Where(t => t.Value.Stream.Current is not null && !t.Value.Loop.IsCompleted).Select(t => t.Key).Order(StringComparer.Ordinal)];

    /// <summary>The history of <paramref name="ensemble"/>, if its stream exists; starts following it if nobody does yet.</summary>
    public bool TryGet(string ensemble, [NotNullWhen(true)] out EnsembleHistory? history)
    {
        if (!_tracked.ContainsKey(ensemble) && _streams.TryGet(ensemble, out var stream))
        {
            Track(stream);
        }

        history = _tracked.TryGetValue(ensemble, out var tracked) ? tracked.History : null;
        return history is not null;
    }

    /// <summary>
    /// Follows every stream not yet followed, forgets streams that were removed, and announces ensembles
    /// published since the last scan.
    /// </summary>
    public void Scan()
    {
        foreach (var name in _streams.Ensembles)
        {
            if (_streams.TryGet(name, out var stream))
            {
                Track(stream);
            }
        }

        // No lock here: a lookup may wait for a stream being created, and its creation (StreamAdded -> Track)
        // takes the lock. Removal is conditional on the entry still being the one looked at.
        var changed = false;
        foreach (var (name, tracked) in _tracked)
        {
            if (!_streams.TryGet(name, out var stream) || !ReferenceEquals(stream, tracked.Stream))
            {
                changed |= _tracked.TryRemove(KeyValuePair.Create(name, tracked)) && tracked.Announced;
            }
            else if (tracked.Stream.Current is not null && tracked.Announce())
            {
                changed = true;
            }
        }

        if (changed)
        {
            EnsemblesChanged?.Invoke();
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Scan();
        _scan = ScanPeriodicallyAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_trackLock)
        {
            if (_disposed)
            {
                return;
            }

            _stopping.Cancel();
        }

        _streams.StreamAdded -= Track;
        var loops = _tracked.Values.Select(t => t.Loop).Append(_scan ?? Task.CompletedTask);
        await Task.WhenAll(loops).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops (if the host did not) and releases the token; safe to call twice (the container and the host both may).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        lock (_trackLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _stopping.Dispose();
    }

    private void Track(EnsembleEventStream stream)
    {
        lock (_trackLock)
        {
            if (_disposed || _stopping.IsCancellationRequested)
            {
                return;
            }

            // A stream replaced under the same name (removed and added again) is followed afresh.
            if (_tracked.TryGetValue(stream.Ensemble, out var tracked) && ReferenceEquals(tracked.Stream, stream))
            {
                return;
            }

            EnsembleSubscription subscription;
            try
            {
                subscription = stream.Subscribe(_stopping.Token);
            }
            catch (ObjectDisposedException)
            {
                return; // removed meanwhile
            }

            var history = new EnsembleHistory(stream.Ensemble);
            if (subscription.Snapshot is { } first)
            {
                history.KeepRaw(first);
            }

            _tracked[stream.Ensemble] = new Tracked(history, stream, FollowAsync(history, subscription, _stopping.Token));
        }
    }

    private async Task ScanPeriodicallyAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(ScanInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                Scan();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task FollowAsync(EnsembleHistory history, EnsembleSubscription subscription, CancellationToken stopping)
    {
        // Yield first: Track runs inside the stream's creation (and under our lock).
        await Task.Yield();
        try
        {
            await foreach (var batch in subscription.ReadBatchesAsync(stopping).ConfigureAwait(false))
            {
                history.Apply(batch, subscription.Current);
                if (history.Batches == 1)
                {
                    Scan(); // announces the ensemble now rather than at the next tick
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogFollowFailed(_logger, ex, history.Name);
        }
    }

    [LoggerMessage(1, LogLevel.Error, "Keeping the history of ensemble {Ensemble} failed")]
    private static partial void LogFollowFailed(ILogger logger, Exception exception, string ensemble);

    private sealed class Tracked(EnsembleHistory history, EnsembleEventStream stream, Task loop)
    {
        public EnsembleHistory History { get; } = history;

        public EnsembleEventStream Stream { get; } = stream;

        public Task Loop { get; } = loop;

        private int _announced;

        public bool Announced => Volatile.Read(ref _announced) == 1;

        /// <summary>True the first time only, whichever thread asks.</summary>
        public bool Announce() => Interlocked.Exchange(ref _announced, 1) == 0;
    }
}
