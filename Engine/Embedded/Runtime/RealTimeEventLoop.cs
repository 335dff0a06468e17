using System.Collections.Concurrent;

namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>
/// An event loop on one dedicated background thread. Posts go through a lock-free queue; timers live
/// in a heap owned by the loop thread. The thread blocks when idle (until the next timer or a post).
/// </summary>
internal sealed class RealTimeEventLoop : IEventLoop, IDisposable
{
    // Posts run in batches so timers are not starved by a flood of posts.
    private const int BatchSize = 4096;
    private const int CompactionThreshold = 1024;

    // Items are Action (a post) or Timer (a schedule from another thread, or an immediate one).
    private readonly ConcurrentQueue<object> _inbox = new();
    private readonly PriorityQueue<Timer, WorkOrder> _timers = new();
    // SemaphoreSlim spins briefly before it blocks. A wait without spinning measured worse on the 2-core VM:
    // p90 1.3 ms instead of 0.5 ms at 25,000 writes/s, and more CPU (a futex wake-up costs more than the spin).
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopped = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<Exception> _onError;
    private readonly long _startTimestamp;
    private readonly Thread _thread;
    private long _timerSequence;
    private int _cancelledTimers;
    private int _sleeping;
    private int _stopRequested;

    /// <param name="name">Thread name, shown in debuggers and dumps.</param>
    /// <param name="time">Clock for <see cref="Now"/> and <see cref="Time"/>; it must advance in real time, because waits do.</param>
    /// <param name="onError">Receives exceptions thrown by work; the loop carries on. Default: written to standard error.</param>
    public RealTimeEventLoop(string name, TimeProvider? time = null, Action<Exception>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Time = time ?? TimeProvider.System;
        _onError = onError ?? (e => Console.Error.WriteLine($"Event loop '{name}': unhandled exception: {e}"));
        _startTimestamp = Time.GetTimestamp();
        _thread = new Thread(Run) { Name = name, IsBackground = true };
        _thread.Start();
    }

    public string Name { get; }

    public TimeProvider Time { get; }

    public TimeSpan Now => Time.GetElapsedTime(_startTimestamp);

    public bool IsStopped => Volatile.Read(ref _stopRequested) != 0;

    public CancellationToken Stopped => _stopped.Token;

    /// <summary>Completes when the loop thread has exited.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Whether the caller is running on this loop's thread.</summary>
    public bool IsOnLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    public void Post(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (IsStopped)
        {
            return;
        }

        _inbox.Enqueue(action);
        WakeIfSleeping();
    }

    public IDisposable Schedule(TimeSpan delay, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var timer = new Timer(this, action);
        if (IsStopped)
        {
            return timer;
        }

        if (delay > TimeSpan.Zero && IsOnLoopThread)
        {
            // The loop recomputes its wait after the current work, so no wake-up is needed.
            AddTimer(timer, Now + delay);
            return timer;
        }

        // Due is fixed now, not when the loop thread gets to it; zero marks "run like a post".
        timer.Due = delay > TimeSpan.Zero ? (Now + delay).Ticks : 0;
        _inbox.Enqueue(timer);
        WakeIfSleeping();
        return timer;
    }

    /// <summary>Stops the loop without waiting: the current work finishes, everything queued is dropped.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) != 0)
        {
            return;
        }

        _stopped.Cancel();
        _wake.Release();
    }

    /// <summary>Stops the loop and, unless called from the loop itself, waits for its thread to exit.</summary>
    public void Dispose()
    {
        Stop();
        if (!IsOnLoopThread)
        {
            _thread.Join();
        }
    }

    public override string ToString() => Name;

    private void WakeIfSleeping()
    {
        // Pairs with the exchange in Run: either the loop sees the item or we see it sleeping.
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.CompareExchange(ref _sleeping, 0, 1) == 1)
        {
            _wake.Release();
        }
    }

    private void Run()
    {
        try
        {
            while (!IsStopped)
            {
                RunDueTimers();
                if (RunInbox())
                {
                    continue;
                }

                Interlocked.Exchange(ref _sleeping, 1);
                if (!_inbox.IsEmpty || IsStopped)
                {
                    Interlocked.Exchange(ref _sleeping, 0);
                    continue;
                }

                var wait = TimeUntilNextTimer();
                if (wait != 0)
                {
                    // A stale release from a racing poster only causes one spurious wake-up.
                    _wake.Wait(wait);
                }

                Interlocked.Exchange(ref _sleeping, 0);
            }
        }
        finally
        {
            _inbox.Clear();
            _timers.Clear();
            _completion.TrySetResult();
        }
    }

    /// <summary>Runs up to one batch of posts; true if anything was taken from the inbox.</summary>
    private bool RunInbox()
    {
        var any = false;
        for (var i = 0; i < BatchSize && !IsStopped && _inbox.TryDequeue(out var item); i++)
        {
            any = true;
            if (item is Action action)
            {
                Invoke(action);
            }
            else
            {
                var timer = (Timer)item;
                if (timer.Due == 0)
                {
                    timer.RunOnce();
                }
                else
                {
                    AddTimer(timer, new TimeSpan(timer.Due));
                }
            }
        }

        return any;
    }

    private void RunDueTimers()
    {
        if (_timers.Count == 0)
        {
            return;
        }

        var now = Now.Ticks;
        while (!IsStopped && _timers.TryPeek(out var timer, out var order) && order.Due <= now)
        {
            _timers.Dequeue();
            if (timer.IsCancelled)
            {
                Forget(timer);
            }
            else
            {
                timer.RunOnce();
            }
        }
    }

    /// <summary>Milliseconds until the earliest live timer: <see cref="Timeout.Infinite"/> if none, 0 if due.</summary>
    private int TimeUntilNextTimer()
    {
        while (_timers.TryPeek(out var timer, out var order))
        {
            if (timer.IsCancelled)
            {
                _timers.Dequeue();
                Forget(timer);
                continue;
            }

            var remaining = order.Due - Now.Ticks;
            if (remaining <= 0)
            {
                return 0;
            }

            // Round up: waking early would only spin back to sleep.
            return (int)Math.Min(int.MaxValue, (remaining + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
        }

        return Timeout.Infinite;
    }

    private void AddTimer(Timer timer, TimeSpan due)
    {
        if (timer.IsCancelled)
        {
            return;
        }

        timer.InHeap = true;
        _timers.Enqueue(timer, new WorkOrder(due.Ticks, _timerSequence++));
    }

    private void Invoke(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            Report(e);
        }
    }

    private void Report(Exception e)
    {
        try
        {
            _onError(e);
        }
        catch (Exception callbackFailure)
        {
            // The error callback must not take the loop down either.
            Console.Error.WriteLine($"Event loop '{Name}': error callback failed: {callbackFailure}");
        }
    }

    private void Forget(Timer timer)
    {
        timer.InHeap = false;
        if (timer.Counted)
        {
            _cancelledTimers--;
        }
    }

    /// <summary>Called on the loop thread when a timer still in the heap is cancelled.</summary>
    private void OnTimerCancelled(Timer timer)
    {
        timer.Counted = true;
        if (++_cancelledTimers > CompactionThreshold && _cancelledTimers > _timers.Count / 2)
        {
            var live = new List<(Timer, WorkOrder)>(_timers.Count);
            foreach (var item in _timers.UnorderedItems)
            {
                if (!item.Element.IsCancelled)
                {
                    live.Add(item);
                }
            }

            _timers.Clear();
            _timers.EnqueueRange(live);
            _cancelledTimers = 0;
        }
    }

    private sealed class Timer(RealTimeEventLoop loop, Action action) : IDisposable
    {
        private int _state; // 0 pending, 1 ran, 2 cancelled

        /// <summary>Due in ticks of <see cref="Now"/> while in the inbox; 0 means run like a post.</summary>
        public long Due { get; set; }

        /// <summary>Touched only on the loop thread.</summary>
        public bool InHeap { get; set; }

        /// <summary>Counted towards heap compaction; touched only on the loop thread.</summary>
        public bool Counted { get; set; }

        public bool IsCancelled => Volatile.Read(ref _state) == 2;

        public void RunOnce()
        {
            InHeap = false;
            if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
            {
                loop.Invoke(action);
            }
        }

        public void Dispose()
        {
            if (Interlocked.CompareExchange(ref _state, 2, 0) != 0)
            {
                return;
            }

            // Compaction bookkeeping belongs to the loop thread; elsewhere the cancelled
            // timer is simply skipped when it comes up.
            if (loop.IsOnLoopThread && InHeap)
            {
                loop.OnTimerCancelled(this);
            }
        }
    }
}
