using System.Collections.Concurrent;

namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>
/// An event loop: work posted or scheduled on it runs one item at a time, in order, on one of the threads of a
/// <see cref="LoopThreads"/> group (its own single thread unless it is given a group to share). Posts go through a
/// lock-free queue; timers live in a heap only the thread running the loop touches.
/// </summary>
internal sealed class RealTimeEventLoop : IEventLoop, IDisposable
{
    /// <summary>
    /// Posts run at most this many at a time before due timers run again and, on a shared group, other loops get
    /// their turn: so neither timers nor other loops are starved by a flood of posts.
    /// </summary>
    internal const int SliceSize = 256;
    private const int CompactionThreshold = 1024;

    [ThreadStatic]
    private static RealTimeEventLoop? t_running;

    // Items are Action (a post) or Timer (a schedule from another thread, or an immediate one).
    private readonly ConcurrentQueue<object> _inbox = new();
    private readonly PriorityQueue<Timer, WorkOrder> _timers = new();
    private readonly CancellationTokenSource _stopped = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<Exception> _onError;
    private readonly LoopThreads _threads;
    private readonly bool _ownsThreads;
    private long _timerSequence;
    private int _cancelledTimers;
    // 0 idle; 1 queued on the group or running. Set by whoever makes the loop ready, cleared by the thread running it.
    private int _scheduled;
    private int _stopRequested;
    // Due (Now, ticks) of the wake-up registered with the group; long.MaxValue if none. Touched only while running.
    private long _wakeUpDue = long.MaxValue;
    // Set by the group when a registered wake-up is delivered; consumed at the start of a slice.
    private int _wakeUpFired;

    /// <param name="name">The loop's name; also its own thread's name when it has one.</param>
    /// <param name="time">Clock for <see cref="Now"/> and <see cref="Time"/>; it must advance in real time, because waits do.</param>
    /// <param name="onError">Receives exceptions thrown by work; the loop carries on. Default: written to standard error.</param>
    public RealTimeEventLoop(string name, TimeProvider? time = null, Action<Exception>? onError = null)
        : this(name, new LoopThreads(name, 1, time), ownsThreads: true, onError)
    {
    }

    /// <param name="name">The loop's name.</param>
    /// <param name="threads">The group whose threads run the loop; its clock is the loop's.</param>
    /// <param name="onError">Receives exceptions thrown by work; the loop carries on. Default: written to standard error.</param>
    public RealTimeEventLoop(string name, LoopThreads threads, Action<Exception>? onError = null)
        : this(name, threads, ownsThreads: false, onError)
    {
    }

    private RealTimeEventLoop(string name, LoopThreads threads, bool ownsThreads, Action<Exception>? onError)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(threads);
        Name = name;
        _threads = threads;
        _ownsThreads = ownsThreads;
        Time = threads.Time;
        _onError = onError ?? (e => Console.Error.WriteLine($"Event loop '{name}': unhandled exception: {e}"));
    }

    public string Name { get; }

    public TimeProvider Time { get; }

    /// <summary>The group's monotonic time, so a timer's due is also its wake-up's.</summary>
    public TimeSpan Now => _threads.Now;

    public bool IsStopped => Volatile.Read(ref _stopRequested) != 0;

    public CancellationToken Stopped => _stopped.Token;

    /// <summary>Completes when the loop has stopped and no thread runs its work any more.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Whether the caller is running this loop's work.</summary>
    public bool IsOnLoopThread => t_running == this;

    public void Post(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (IsStopped)
        {
            return;
        }

        _inbox.Enqueue(action);
        MakeReady();
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
            // The loop registers its next wake-up after the current work, so nothing needs waking.
            AddTimer(timer, Now + delay);
            return timer;
        }

        // Due is fixed now, not when the loop gets to it; zero marks "run like a post".
        timer.Due = delay > TimeSpan.Zero ? (Now + delay).Ticks : 0;
        _inbox.Enqueue(timer);
        MakeReady();
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
        MakeReady();
    }

    /// <summary>
    /// Stops the loop and, unless called from the loop's own work, waits until no thread runs it. Refused from the work
    /// of another loop of the same group: the wait could need the very thread it holds.
    /// </summary>
    public void Dispose()
    {
        if (t_running is { } running && running != this && running._threads == _threads)
        {
            throw new InvalidOperationException($"Loop '{Name}' cannot be disposed from the work of loop '{running.Name}' on the same threads: stop it there, or dispose it from elsewhere.");
        }

        Stop();
        if (!IsOnLoopThread)
        {
            _completion.Task.Wait();
        }
    }

    public override string ToString() => Name;

    /// <summary>Called by a disposed group for a loop it will never run: the loop ends as if stopped.</summary>
    internal void Abandon()
    {
        Stop();
        Finish();
    }

    /// <summary>Called by the group when this loop's registered wake-up is due.</summary>
    internal void OnWakeUp()
    {
        // Full fence before MakeReady reads _scheduled: pairs with the clear in RunSlice.
        Interlocked.Exchange(ref _wakeUpFired, 1);
        MakeReady();
    }

    /// <summary>Runs due timers and up to <see cref="SliceSize"/> posts; called by the group, one thread at a time.</summary>
    internal void RunSlice()
    {
        t_running = this;
        if (Interlocked.Exchange(ref _wakeUpFired, 0) != 0)
        {
            _wakeUpDue = long.MaxValue; // the registration is used up: the next RegisterWakeUp must register again
        }

        try
        {
            if (!IsStopped)
            {
                RunDueTimers();
                RunInbox();
            }
        }
        finally
        {
            t_running = null;
        }

        if (IsStopped)
        {
            Finish();
            return;
        }

        // Registered before letting go of the loop: once _scheduled is clear another thread may run it.
        RegisterWakeUp();
        Interlocked.Exchange(ref _scheduled, 0); // full fence: the store must be visible before the inbox/stop re-check (Dekker with Post)
        if (!_inbox.IsEmpty || IsStopped || Volatile.Read(ref _wakeUpFired) != 0)
        {
            MakeReady();
        }
    }

    private void MakeReady()
    {
        if (Volatile.Read(ref _scheduled) == 0 && Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            _threads.Enqueue(this);
        }
    }

    private void Finish()
    {
        _inbox.Clear();
        _timers.Clear();
        _completion.TrySetResult();
        if (_ownsThreads)
        {
            _threads.Dispose();
        }
    }

    /// <summary>Asks the group to run the loop when its earliest timer is due, unless an earlier wake-up is already registered.</summary>
    private void RegisterWakeUp()
    {
        var next = NextTimerDue();
        if (next >= _wakeUpDue)
        {
            return;
        }

        _wakeUpDue = next;
        _threads.WakeAt(this, new TimeSpan(next));
    }

    /// <summary>Runs up to one slice of posts.</summary>
    private void RunInbox()
    {
        for (var i = 0; i < SliceSize && !IsStopped && _inbox.TryDequeue(out var item); i++)
        {
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

    /// <summary>Due (ticks of <see cref="Now"/>) of the earliest live timer; long.MaxValue if none.</summary>
    private long NextTimerDue()
    {
        while (_timers.TryPeek(out var timer, out var order))
        {
            if (!timer.IsCancelled)
            {
                return order.Due;
            }

            _timers.Dequeue();
            Forget(timer);
        }

        return long.MaxValue;
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
