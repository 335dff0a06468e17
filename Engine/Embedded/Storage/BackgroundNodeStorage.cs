namespace QuorumPortal.Engine.Embedded.Storage;

/// <summary>
/// Runs another storage's appends, flushes, snapshots and purges on a dedicated log-writer thread (ZooKeeper's
/// SyncRequestProcessor), so the node's loop never waits for <c>write</c>, <c>fsync</c> or a snapshot file: on a
/// shared disk those stall for tens of milliseconds now and then, and a stalled loop stalls every request the
/// member handles. Work runs in call order; <see cref="BeginFlush"/> reports when the records appended before it
/// are durable. The rarer calls (epochs, reads, truncation, reset) wait for the writer to finish its queue and then
/// run on the caller's thread, so the inner storage is never used by two threads at once.
/// </summary>
/// <remarks>
/// If the inner storage throws on the writer thread, the writer stops: nothing queued after it is written, no
/// later flush is reported durable, and every later call throws an <see cref="IOException"/> carrying the failure.
/// </remarks>
internal sealed class BackgroundNodeStorage : INodeStorage
{
    private readonly INodeStorage _inner;
    private readonly Thread _thread;
    private readonly object _gate = new();

    // Writer thread only: callbacks of the flushes seen in the current batch.
    private readonly List<Action> _durableCallbacks = [];

    // The loop adds to _queued; the writer swaps it with _spare (emptied) and works through it outside the lock.
    private List<Work> _queued = [];
    private List<Work> _spare = [];
    private bool _wakeRequested;
    private bool _busy;
    private bool _stopping;
    private Exception? _failure;
    private long _lastLoggedZxid;
    private bool _disposed;

    /// <param name="inner">The storage to write to; owned (disposed) by this one.</param>
    /// <param name="name">Names the writer thread, e.g. after the member.</param>
    public BackgroundNodeStorage(INodeStorage inner, string name)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentException.ThrowIfNullOrEmpty(name);
        _inner = inner;
        _lastLoggedZxid = inner.LastLoggedZxid;
        _thread = new Thread(Run) { Name = name + "/log-writer", IsBackground = true };
        _thread.Start();
    }

    private enum WorkKind
    {
        Append,
        Flush,
        Snapshot,
        Purge,
    }

    /// <summary>One queued call. Zxid for Append and Snapshot; Data for Append and Snapshot; Retain for Purge.</summary>
    private readonly record struct Work(WorkKind Kind, long Zxid, ReadOnlyMemory<byte> Data, Action? OnDurable, int Retain);

    public long AcceptedEpoch => _inner.AcceptedEpoch;

    public long CurrentEpoch => _inner.CurrentEpoch;

    public long LastLoggedZxid => _lastLoggedZxid;

    public void SetAcceptedEpoch(long epoch)
    {
        Drain();
        _inner.SetAcceptedEpoch(epoch);
    }

    public void SetCurrentEpoch(long epoch)
    {
        Drain();
        _inner.SetCurrentEpoch(epoch);
    }

    public void Append(long zxid, ReadOnlyMemory<byte> record)
    {
        ThrowIfUnusable();

        // Checked here, as the inner storage would, so a bad call fails the caller and not the writer.
        if (zxid <= _lastLoggedZxid)
        {
            throw new InvalidOperationException($"Zxid 0x{zxid:x} does not follow the last logged zxid 0x{_lastLoggedZxid:x}.");
        }

        _lastLoggedZxid = zxid;

        // No wake-up: appends wait for the flush that follows them (group commit).
        Enqueue(new Work(WorkKind.Append, zxid, record, null, 0), wake: false);
    }

    public void Flush()
    {
        Drain();
        _inner.Flush();
    }

    public bool BeginFlush(Action onDurable)
    {
        ArgumentNullException.ThrowIfNull(onDurable);
        ThrowIfUnusable();
        Enqueue(new Work(WorkKind.Flush, 0, default, onDurable, 0), wake: true);
        return false;
    }

    public IEnumerable<(long Zxid, byte[] Record)> ReadLog(long afterZxid)
    {
        Drain();
        return _inner.ReadLog(afterZxid);
    }

    public void TruncateAfter(long zxid)
    {
        Drain();
        _inner.TruncateAfter(zxid);
        _lastLoggedZxid = _inner.LastLoggedZxid;
    }

    /// <remarks>Copies <paramref name="snapshot"/>; the file is written on the writer thread.</remarks>
    public void SaveSnapshot(long zxid, ReadOnlySpan<byte> snapshot)
    {
        ThrowIfUnusable();
        _lastLoggedZxid = Math.Max(_lastLoggedZxid, zxid);
        Enqueue(new Work(WorkKind.Snapshot, zxid, snapshot.ToArray(), null, 0), wake: true);
    }

    public (long Zxid, byte[] Data)? LoadLatestSnapshot()
    {
        Drain();
        return _inner.LoadLatestSnapshot();
    }

    public void Purge(int retainSnapshots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retainSnapshots, 1);
        ThrowIfUnusable();
        Enqueue(new Work(WorkKind.Purge, 0, default, null, retainSnapshots), wake: true);
    }

    public void ResetTo(long zxid, ReadOnlySpan<byte> snapshot)
    {
        Drain();
        _inner.ResetTo(zxid, snapshot);
        _lastLoggedZxid = _inner.LastLoggedZxid;
    }

    /// <summary>Writes out everything queued, stops the writer, and disposes the inner storage.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        lock (_gate)
        {
            // The writer works through what is queued before it sees the stop.
            _stopping = true;
            _wakeRequested = true;
            Monitor.PulseAll(_gate);
        }

        _thread.Join();
        _inner.Dispose();
    }

    private void Enqueue(Work work, bool wake)
    {
        lock (_gate)
        {
            _queued.Add(work);
            if (wake && !_wakeRequested)
            {
                _wakeRequested = true;
                Monitor.Pulse(_gate);
            }
        }
    }

    /// <summary>Waits until the writer has done everything queued; then the inner storage is the caller's alone.</summary>
    private void Drain()
    {
        ThrowIfUnusable();
        lock (_gate)
        {
            if (_queued.Count > 0 && !_wakeRequested)
            {
                _wakeRequested = true;
                Monitor.Pulse(_gate);
            }

            while ((_queued.Count > 0 || _busy) && _failure is null)
            {
                Monitor.Wait(_gate);
            }
        }

        ThrowIfUnusable();
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw new IOException($"The log writer stopped after a failure; nothing appended since is durable: {failure.Message}", failure);
        }
    }

    private void Run()
    {
        while (true)
        {
            List<Work> batch;
            lock (_gate)
            {
                while (!_wakeRequested)
                {
                    Monitor.Wait(_gate);
                }

                _wakeRequested = false;
                if (_queued.Count == 0)
                {
                    if (_stopping)
                    {
                        return;
                    }

                    Monitor.PulseAll(_gate); // a drain may be waiting on an empty queue
                    continue;
                }

                batch = _queued;
                _queued = _spare;
                _busy = true;
            }

            Exception? failure = null;
            try
            {
                WorkThrough(batch);
            }
            catch (Exception e)
            {
                failure = e;
            }

            batch.Clear();
            lock (_gate)
            {
                _spare = batch;
                _busy = false;
                if (failure is not null)
                {
                    _failure = failure;
                    _queued.Clear();
                }

                // More may have been queued meanwhile: a drain or a stop must not wait for another wake-up.
                _wakeRequested |= _queued.Count > 0 || _stopping;
                Monitor.PulseAll(_gate);
                if (failure is not null)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Group commit: the flushes queued in one batch cost one flush of the inner storage, after the appends
    /// queued with them; a snapshot or purge first completes the flushes before it, so it never delays their acks.
    /// </summary>
    private void WorkThrough(List<Work> batch)
    {
        foreach (var work in batch)
        {
            switch (work.Kind)
            {
                case WorkKind.Append:
                    _inner.Append(work.Zxid, work.Data);
                    break;
                case WorkKind.Flush:
                    _durableCallbacks.Add(work.OnDurable!);
                    break;
                case WorkKind.Snapshot:
                    CompleteFlushes();
                    _inner.SaveSnapshot(work.Zxid, work.Data.Span);
                    break;
                case WorkKind.Purge:
                    CompleteFlushes();
                    _inner.Purge(work.Retain);
                    break;
            }
        }

        CompleteFlushes();
    }

    private void CompleteFlushes()
    {
        if (_durableCallbacks.Count == 0)
        {
            return;
        }

        _inner.Flush();
        foreach (var onDurable in _durableCallbacks)
        {
            onDurable();
        }

        _durableCallbacks.Clear();
    }
}
