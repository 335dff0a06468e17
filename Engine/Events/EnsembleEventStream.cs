using System.Diagnostics.Metrics;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Events;

/// <summary>
/// The fan-out for one ensemble: the current <see cref="EnsembleSnapshot"/> plus, per subscriber, a stream of
/// batched events. <see cref="Publish"/> never blocks and never waits for a subscriber; a subscriber that falls
/// behind has its samples coalesced (newest kept) but loses no other event.
/// </summary>
public sealed class EnsembleEventStream : IDisposable
{
    /// <summary>Samples a subscriber may have queued before older ones are coalesced away.</summary>
    public const int DefaultSampleCapacity = 1024;

    private readonly Lock _gate = new();
    private readonly EventsMetrics _metrics;
    private EnsembleSubscription[] _subscribers = [];
    private EnsembleSnapshot? _current;
    private bool _disposed;

    public EnsembleEventStream(string ensemble, int sampleCapacity = DefaultSampleCapacity, IMeterFactory? meterFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ensemble);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleCapacity, 1);
        Ensemble = ensemble;
        SampleCapacity = sampleCapacity;
        _metrics = new EventsMetrics(meterFactory);
    }

    public string Ensemble { get; }

    /// <summary>Samples each subscriber may have queued; beyond it samples are coalesced.</summary>
    public int SampleCapacity { get; }

    /// <summary>The newest published snapshot; null until the first publish.</summary>
    public EnsembleSnapshot? Current => Volatile.Read(ref _current);

    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <summary>
    /// Returns the current snapshot and a stream of every event published after it. The subscription ends when
    /// <paramref name="cancellationToken"/> is cancelled, when it is disposed, or when its enumeration ends.
    /// </summary>
    public EnsembleSubscription Subscribe(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EnsembleSubscription subscription;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // Under the gate, so no publish falls between the snapshot and the first queued event.
            subscription = new EnsembleSubscription(this, _current, SampleCapacity);
            _subscribers = [.. _subscribers, subscription];
        }

        _metrics.SubscribersChanged(Ensemble, 1);
        subscription.EndWhen(cancellationToken);
        return subscription;
    }

    /// <summary>Replaces the current snapshot and queues <paramref name="events"/> for every subscriber. Never blocks.</summary>
    public void Publish(EnsembleSnapshot snapshot, IReadOnlyList<EnsembleEvent> events)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        PublishCore(snapshot, events);
    }

    /// <summary>Queues events that change no member's state (an operation's progress); the current snapshot stays.</summary>
    public void Publish(IReadOnlyList<EnsembleEvent> events) => PublishCore(null, events);

    private void PublishCore(EnsembleSnapshot? snapshot, IReadOnlyList<EnsembleEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (snapshot is not null)
            {
                Volatile.Write(ref _current, snapshot);
            }

            if (events.Count == 0)
            {
                return;
            }

            foreach (var subscriber in _subscribers)
            {
                subscriber.Enqueue(events);
            }
        }

        _metrics.Published(Ensemble, events.Count);
    }

    /// <summary>Ends every subscription; later publishes are ignored.</summary>
    public void Dispose()
    {
        EnsembleSubscription[] subscribers;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            subscribers = _subscribers;
        }

        foreach (var subscriber in subscribers)
        {
            subscriber.Dispose();
        }

        _metrics.Dispose();
    }

    internal void Remove(EnsembleSubscription subscription)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_subscribers, subscription);
            if (index < 0)
            {
                return;
            }

            _subscribers = [.. _subscribers[..index], .. _subscribers[(index + 1)..]];
        }

        _metrics.SubscribersChanged(Ensemble, -1);
    }

    internal void SamplesDropped(long count) => _metrics.SamplesDropped(Ensemble, count);
}
