using System.Collections.Concurrent;

namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>
/// A few threads shared by several <see cref="RealTimeEventLoop"/>s: each loop's work still runs one item at a
/// time and in order (a loop is on at most one of these threads at once), but a message from one loop to another
/// on the same group is picked up by a thread that is already awake instead of waking the receiver's own thread.
/// An embedded ensemble runs all its members on one group with a thread per core: with a thread per member, five
/// members on two cores spent more time waiting to be scheduled than running (every message woke a thread).
/// </summary>
/// <remarks>
/// Work that blocks holds one thread; the others carry on with the other loops. A loop that is ready waits for a
/// thread only behind other loops' batches (<see cref="RealTimeEventLoop"/> runs at most
/// <see cref="RealTimeEventLoop.SliceSize"/> items before letting the next loop run).
/// </remarks>
internal sealed class LoopThreads : IDisposable
{
    private readonly ConcurrentQueue<RealTimeEventLoop> _ready = new();
    private readonly PriorityQueue<RealTimeEventLoop, long> _wakeUps = new();
    private readonly object _wakeUpsGate = new();
    // SemaphoreSlim spins briefly before it blocks. A wait without spinning measured worse on the 2-core VM (a loop per
    // thread then): p90 1.3 ms instead of 0.5 ms at 25,000 writes/s, and more CPU (a futex wake-up costs more than the spin).
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread[] _threads;
    private readonly long _startTimestamp;
    private int _idle;
    // Per thread: when it will wake up by itself (written under _wakeUpsGate), or Awake. A wake-up earlier than a
    // sleeping thread's must wake one: the thread that registered it may be blocked in a loop's work by then.
    private readonly long[] _sleepsUntil;
    private const long Awake = long.MinValue;
    // Due of the earliest wake-up (group ticks), long.MaxValue if none: read without the lock between slices.
    private long _firstWakeUp = long.MaxValue;
    private volatile bool _disposed;

    /// <param name="name">Prefix of the threads' names, shown in debuggers and dumps.</param>
    /// <param name="threadCount">How many threads; at least one.</param>
    /// <param name="time">Clock of every loop on the group; it must advance in real time, because waits do.</param>
    public LoopThreads(string name, int threadCount, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        Time = time ?? TimeProvider.System;
        _startTimestamp = Time.GetTimestamp();
        _threads = new Thread[threadCount];
        _sleepsUntil = new long[threadCount];
        for (var i = 0; i < threadCount; i++)
        {
            var index = i;
            _sleepsUntil[i] = Awake;
            _threads[i] = new Thread(() => Run(index)) { Name = threadCount == 1 ? name : $"{name}#{i + 1}", IsBackground = true };
        }

        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>One thread per core, at least two so a loop that blocks does not stop the others.</summary>
    public static int DefaultThreadCount => Math.Max(2, Environment.ProcessorCount);

    public TimeProvider Time { get; }

    /// <summary>Monotonic time of the group and of its loops (<see cref="RealTimeEventLoop.Now"/>), the base of <see cref="WakeAt"/>.</summary>
    internal TimeSpan Now => Time.GetElapsedTime(_startTimestamp);

    /// <summary>
    /// Stops the threads after their current work and waits for them (unless called on one of them). Loops left with
    /// work, and loops that get work later, end as if stopped, so nothing waits for them forever.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _signal.Release(_threads.Length);
        var joined = true;
        foreach (var thread in _threads)
        {
            if (thread != Thread.CurrentThread)
            {
                thread.Join();
            }
            else
            {
                joined = false;
            }
        }

        if (joined)
        {
            AbandonQueued();
        }
    }

    /// <summary>Queues a loop that has work; the loop makes sure it is queued at most once.</summary>
    internal void Enqueue(RealTimeEventLoop loop)
    {
        _ready.Enqueue(loop);

        // Pairs with Dispose: either it finds the loop queued after joining the threads, or we see it disposed.
        if (_disposed)
        {
            AbandonQueued();
            return;
        }

        // Pairs with the increment in Run: either a thread going idle sees the loop or we see it idle.
        if (Volatile.Read(ref _idle) > 0)
        {
            _signal.Release();
        }
    }

    /// <summary>
    /// Queues <paramref name="loop"/> when <see cref="Now"/> reaches <paramref name="due"/> (its next timer). A thread
    /// is woken only when one sleeps past it: the caller recomputes its own wait before it sleeps, but it may instead
    /// block in the next loop's work.
    /// </summary>
    internal void WakeAt(RealTimeEventLoop loop, TimeSpan due)
    {
        var wake = false;
        lock (_wakeUpsGate)
        {
            _wakeUps.Enqueue(loop, due.Ticks);
            if (due.Ticks < _firstWakeUp)
            {
                Volatile.Write(ref _firstWakeUp, due.Ticks);
            }

            foreach (var until in _sleepsUntil)
            {
                wake |= until != Awake && due.Ticks < until;
            }
        }

        if (wake)
        {
            _signal.Release();
        }
    }

    private void AbandonQueued()
    {
        while (_ready.TryDequeue(out var loop))
        {
            loop.Abandon();
        }
    }

    private void Run(int index)
    {
        while (!_disposed)
        {
            if (_ready.TryDequeue(out var loop))
            {
                loop.RunSlice();

                // Busy threads take due wake-ups too, or a steady stream of posts would starve timers.
                if (Volatile.Read(ref _firstWakeUp) <= Now.Ticks)
                {
                    QueueDueLoops(index);
                    Volatile.Write(ref _sleepsUntil[index], Awake);
                }

                continue;
            }

            var wait = QueueDueLoops(index);
            Interlocked.Increment(ref _idle);
            if (_ready.IsEmpty && !_disposed)
            {
                // A stale release only causes one spurious wake-up.
                _signal.Wait(wait);
            }

            Interlocked.Decrement(ref _idle);
            Volatile.Write(ref _sleepsUntil[index], Awake);
        }
    }

    /// <summary>
    /// Queues every loop whose wake-up is due; returns milliseconds until the next one (<see cref="Timeout.Infinite"/>
    /// if none) and records it as when thread <paramref name="index"/> will wake.
    /// </summary>
    private int QueueDueLoops(int index)
    {
        List<RealTimeEventLoop>? due = null;
        long next;
        lock (_wakeUpsGate)
        {
            var now = Now.Ticks;
            while (_wakeUps.TryPeek(out var loop, out var at) && at <= now)
            {
                _wakeUps.Dequeue();
                (due ??= []).Add(loop);
            }

            next = _wakeUps.TryPeek(out _, out var first) ? first - now : -1;
            Volatile.Write(ref _firstWakeUp, next < 0 ? long.MaxValue : first);
            _sleepsUntil[index] = next < 0 ? long.MaxValue : first;
        }

        foreach (var loop in due ?? [])
        {
            loop.OnWakeUp();
        }

        if (next < 0)
        {
            return Timeout.Infinite;
        }

        // Round up: waking early would only spin back to sleep.
        return (int)Math.Min(int.MaxValue, (next + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
    }
}
