namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>Virtual wall clock and timestamps of a <see cref="SimulationScheduler"/>.</summary>
internal sealed class SimulatedTimeProvider : TimeProvider
{
    /// <summary>The wall-clock instant virtual time 0 maps to.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly SimulationScheduler _scheduler;

    internal SimulatedTimeProvider(SimulationScheduler scheduler) => _scheduler = scheduler;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow() => Start + _scheduler.Now;

    public override long GetTimestamp() => _scheduler.Now.Ticks;

    /// <summary>Timers fire in virtual time, on the scheduler's thread, bound to no loop.</summary>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new SimulatedTimer(_scheduler, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class SimulatedTimer(SimulationScheduler scheduler, TimerCallback callback, object? state) : ITimer
    {
        private SimulationScheduler.ScheduledWork? _pending;
        private TimeSpan _period;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed)
            {
                return false;
            }

            _pending?.Dispose();
            _pending = null;
            _period = period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Arm(dueTime);
            }

            return true;
        }

        public void Dispose()
        {
            _disposed = true;
            _pending?.Dispose();
            _pending = null;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void Arm(TimeSpan delay)
        {
            _pending = new SimulationScheduler.ScheduledWork(scheduler, Fire);
            scheduler.Enqueue(null, delay, null, _pending);
        }

        private void Fire()
        {
            _pending = null;
            if (_period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan)
            {
                Arm(_period);
            }

            callback(state);
        }
    }
}
