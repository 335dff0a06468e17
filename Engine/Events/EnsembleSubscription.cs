using System.Runtime.CompilerServices;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Events;

/// <summary>
/// One subscriber of an <see cref="EnsembleEventStream"/>: the snapshot at the moment it subscribed, and a queue of
/// what was published since, read in batches by one reader. Samples beyond the stream's capacity are coalesced
/// (the newest per member and kind is kept); other events are never dropped.
/// </summary>
public sealed class EnsembleSubscription : IDisposable
{
    private readonly Lock _lock = new();
    private readonly EnsembleEventStream _stream;
    private readonly int _sampleCapacity;

    // Queued events in publish order; samples are also indexed by what they describe so a newer one can replace them.
    private readonly LinkedList<EnsembleEvent> _pending = new();
    private readonly Dictionary<(EnsembleEventKind Kind, int ServerId), LinkedListNode<EnsembleEvent>> _newestSample = [];
    private int _sampleCount;
    private long _droppedSamples;
    private TaskCompletionSource? _signal;
    private CancellationTokenRegistration _registration;
    private bool _disposed;

    internal EnsembleSubscription(EnsembleEventStream stream, EnsembleSnapshot? snapshot, int sampleCapacity)
    {
        _stream = stream;
        _sampleCapacity = sampleCapacity;
        Snapshot = snapshot;
    }

    /// <summary>The ensemble as it was when the subscription began; null if nothing had been published yet.</summary>
    public EnsembleSnapshot? Snapshot { get; }

    /// <summary>The stream's newest snapshot, for readers that render on their own clock.</summary>
    public EnsembleSnapshot? Current => _stream.Current;

    /// <summary>Samples this subscriber lost because it fell behind (each replaced by a newer one).</summary>
    public long DroppedSamples => Interlocked.Read(ref _droppedSamples);

    /// <summary>Events queued and not yet read.</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    public bool IsDisposed
    {
        get
        {
            lock (_lock)
            {
                return _disposed;
            }
        }
    }

    /// <summary>
    /// Everything published since the last batch, as one batch, waiting while there is nothing. Ends when the
    /// subscription ends; ending the enumeration ends the subscription. One reader at a time.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<EnsembleEvent>> ReadBatchesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            while (true)
            {
                var batch = TakeBatch(out var signal);
                if (batch is not null)
                {
                    yield return batch;
                    continue;
                }

                if (signal is null)
                {
                    yield break;
                }

                await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Takes what is queued without waiting; false when nothing is.</summary>
    public bool TryReadBatch(out IReadOnlyList<EnsembleEvent> batch)
    {
        batch = TakeBatch(out _) ?? [];
        return batch.Count > 0;
    }

    public void Dispose()
    {
        TaskCompletionSource? signal;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _pending.Clear();
            _newestSample.Clear();
            signal = _signal;
            _signal = null;
        }

        // Outside our lock: the stream takes its own gate, and Publish holds that gate while it calls Enqueue.
        _registration.Dispose();
        _stream.Remove(this);
        signal?.TrySetResult();
    }

    internal void EndWhen(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static state => ((EnsembleSubscription)state!).Dispose(), this);
        }
    }

    internal void Enqueue(IReadOnlyList<EnsembleEvent> events)
    {
        TaskCompletionSource? signal;
        long dropped = 0;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            foreach (var e in events)
            {
                if (SampleKey(e) is not { } key)
                {
                    _pending.AddLast(e);
                    continue;
                }

                if (_sampleCount >= _sampleCapacity)
                {
                    RemoveSample(_newestSample.TryGetValue(key, out var same) ? same : OldestSample());
                    dropped++;
                }

                _newestSample[key] = _pending.AddLast(e);
                _sampleCount++;
            }

            signal = _signal;
            _signal = null;
        }

        if (dropped > 0)
        {
            Interlocked.Add(ref _droppedSamples, dropped);
            _stream.SamplesDropped(dropped);
        }

        signal?.TrySetResult();
    }

    private IReadOnlyList<EnsembleEvent>? TakeBatch(out Task? signal)
    {
        lock (_lock)
        {
            signal = null;
            if (_pending.Count > 0)
            {
                var batch = new EnsembleEvent[_pending.Count];
                _pending.CopyTo(batch, 0);
                _pending.Clear();
                _newestSample.Clear();
                _sampleCount = 0;
                return batch;
            }

            if (!_disposed)
            {
                _signal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = _signal.Task;
            }

            return null;
        }
    }

    private LinkedListNode<EnsembleEvent> OldestSample()
    {
        // Only reached when the queue holds at least one sample; events ahead of it are the few that are never dropped.
        var node = _pending.First;
        while (!node!.Value.IsSample)
        {
            node = node.Next;
        }

        return node;
    }

    private void RemoveSample(LinkedListNode<EnsembleEvent> node)
    {
        var key = SampleKey(node.Value)!.Value;
        if (_newestSample.TryGetValue(key, out var newest) && newest == node)
        {
            _newestSample.Remove(key);
        }

        _pending.Remove(node);
        _sampleCount--;
    }

    private static (EnsembleEventKind, int)? SampleKey(EnsembleEvent e) => e switch
    {
        HeartbeatObserved h => (e.Kind, h.ServerId),
        ThroughputSample t => (e.Kind, t.ServerId ?? 0), // 0 is never a server id: the ensemble-wide sample
        _ => null,
    };
}
