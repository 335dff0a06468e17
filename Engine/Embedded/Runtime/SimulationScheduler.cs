namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>
/// Deterministic discrete-event simulation with virtual time, shared by every node of a simulated
/// ensemble: one priority queue ordered by (due time, sequence), so equal-time work runs FIFO and a
/// run is reproducible from its seed. Not thread-safe: drive it from one thread.
/// </summary>
internal sealed class SimulationScheduler
{
    // Cancelled work stays queued until due; rebuild the queue once it is mostly dead weight.
    private const int CompactionThreshold = 1024;

    private readonly PriorityQueue<SimulatedWork, WorkOrder> _queue = new();
    private long _nowTicks;
    private long _sequence;
    private int _cancelled;
    private int _loops;

    public SimulationScheduler(int seed)
    {
        Seed = seed;
        Random = new Random(seed);
        Time = new SimulatedTimeProvider(this);
    }

    public int Seed { get; }

    /// <summary>The only source of randomness in a simulation, so a seed reproduces a run.</summary>
    public Random Random { get; }

    /// <summary>Wall clock: a fixed start instant plus virtual time.</summary>
    public SimulatedTimeProvider Time { get; }

    /// <summary>Virtual time since the start of the simulation.</summary>
    public TimeSpan Now => new(_nowTicks);

    /// <summary>How many work items have run.</summary>
    public long ExecutedCount { get; private set; }

    /// <summary>Queued work items, including cancelled ones not yet discarded.</summary>
    public int PendingCount => _queue.Count;

    /// <summary>A loop for one node on the shared queue.</summary>
    public SimulatedLoop CreateLoop(string? name = null) => new(this, name ?? $"loop-{_loops++}");

    /// <summary>Runs the next live work item, advancing virtual time to its due time.</summary>
    /// <returns>False when nothing is left to run.</returns>
    /// <remarks>An exception thrown by the work propagates to the caller.</remarks>
    /// <summary>Work items that may run at one virtual instant before the run is declared a livelock.</summary>
    public const int MaxItemsPerInstant = 1_000_000;

    private int _itemsAtThisInstant;

    public bool RunNext()
    {
        while (_queue.TryDequeue(out var work, out var order))
        {
            if (Discard(work))
            {
                continue;
            }

            if (order.Due == _nowTicks)
            {
                // Virtual time must move: a loop of zero-delay work is a livelock, and would hang the run.
                if (++_itemsAtThisInstant > MaxItemsPerInstant)
                {
                    var action = work.Action ?? work.Handle!.Action;
                    throw new InvalidOperationException(
                        $"livelock: more than {MaxItemsPerInstant} work items at virtual time {Now} (seed {Seed}); " +
                        $"the last on {work.Loop?.Name ?? "no loop"}: {action.Method.DeclaringType?.Name}.{action.Method.Name}");
                }
            }
            else
            {
                _itemsAtThisInstant = 0;
            }

            _nowTicks = order.Due;
            ExecutedCount++;
            (work.Action ?? work.Handle!.Action).Invoke();
            return true;
        }

        return false;
    }

    /// <summary>Runs everything due at or before <paramref name="time"/>, then sets <see cref="Now"/> to it.</summary>
    public void RunUntil(TimeSpan time)
    {
        while (TryPeekLive(out var due) && due <= time.Ticks)
        {
            RunNext();
        }

        _nowTicks = Math.Max(_nowTicks, time.Ticks);
    }

    /// <summary>
    /// Runs work until <paramref name="condition"/> holds (checked before the first item and after
    /// every item) or the next item is due after <paramref name="deadline"/>; then time is the deadline.
    /// </summary>
    /// <returns>Whether the condition held.</returns>
    public bool RunUntil(Func<bool> condition, TimeSpan deadline)
    {
        ArgumentNullException.ThrowIfNull(condition);
        while (true)
        {
            if (condition())
            {
                return true;
            }

            if (!TryPeekLive(out var due) || due > deadline.Ticks)
            {
                _nowTicks = Math.Max(_nowTicks, deadline.Ticks);
                return false;
            }

            RunNext();
        }
    }

    /// <summary>Runs everything due within <paramref name="duration"/> from now.</summary>
    public void RunFor(TimeSpan duration) => RunUntil(Now + duration);

    internal void Enqueue(SimulatedLoop? loop, TimeSpan delay, Action? action, ScheduledWork? handle)
    {
        var due = delay > TimeSpan.Zero ? _nowTicks + delay.Ticks : _nowTicks;
        handle?.MarkQueued();
        _queue.Enqueue(new SimulatedWork(loop, action, handle), new WorkOrder(due, _sequence++));
    }

    internal void OnCancelled()
    {
        if (++_cancelled > CompactionThreshold && _cancelled > _queue.Count / 2)
        {
            Compact();
        }
    }

    private bool TryPeekLive(out long due)
    {
        while (_queue.TryPeek(out var work, out var order))
        {
            if (!IsDead(work))
            {
                due = order.Due;
                return true;
            }

            _queue.Dequeue();
            Discard(work);
        }

        due = 0;
        return false;
    }

    private static bool IsDead(in SimulatedWork work) =>
        work.Loop is { IsStopped: true } || work.Handle is { IsCancelled: true };

    /// <summary>Accounts for a dequeued item; true if it must not run.</summary>
    private bool Discard(in SimulatedWork work)
    {
        if (work.Handle is { } handle)
        {
            handle.MarkDequeued();
            if (handle.IsCancelled)
            {
                _cancelled--;
                return true;
            }
        }

        return work.Loop is { IsStopped: true };
    }

    private void Compact()
    {
        var live = new List<(SimulatedWork, WorkOrder)>(Math.Max(0, _queue.Count - _cancelled));
        foreach (var item in _queue.UnorderedItems)
        {
            if (!IsDead(item.Element))
            {
                live.Add(item);
            }
            else
            {
                item.Element.Handle?.MarkDequeued();
            }
        }

        _queue.Clear();
        _queue.EnqueueRange(live);
        _cancelled = 0;
    }

    private readonly record struct SimulatedWork(SimulatedLoop? Loop, Action? Action, ScheduledWork? Handle);

    /// <summary>A cancellable timer in the simulation.</summary>
    internal sealed class ScheduledWork(SimulationScheduler scheduler, Action action) : IDisposable
    {
        // Only cancelling queued work counts towards compaction.
        private bool _queued;

        public Action Action { get; } = action;

        public bool IsCancelled { get; private set; }

        public void MarkQueued() => _queued = true;

        public void MarkDequeued() => _queued = false;

        public void Dispose()
        {
            if (!_queued || IsCancelled)
            {
                return;
            }

            IsCancelled = true;
            scheduler.OnCancelled();
        }
    }
}
