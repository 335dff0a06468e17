namespace QuorumPortal.Portal.Utils;

/// <summary>
/// Coalesces "something changed, render" requests: the first request after a quiet <see cref="Interval"/> renders
/// at once, later ones within the interval are folded into one render at its end. <see cref="Rendered"/> tells
/// it a render happened anyway (an urgent one), which restarts the interval. Timers come from the
/// <see cref="TimeProvider"/>, so tests move time by hand.
/// </summary>
public sealed class RenderThrottle : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Func<Task> _render;
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private bool _scheduled;
    private long _lastRender;
    private bool _disposed;

    /// <param name="timeProvider">Clock and timers.</param>
    /// <param name="interval">At most one render per interval.</param>
    /// <param name="render">Renders; called on a timer thread, so it must dispatch to the renderer itself.</param>
    public RenderThrottle(TimeProvider timeProvider, TimeSpan interval, Func<Task> render)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(render);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _time = timeProvider;
        Interval = interval;
        _render = render;
        _lastRender = timeProvider.GetTimestamp() - (long)(interval.TotalSeconds * timeProvider.TimestampFrequency);
    }

    public TimeSpan Interval { get; }

    /// <summary>Renders performed through this throttle (not those reported with <see cref="Rendered"/>).</summary>
    public int Renders { get; private set; }

    /// <summary>Asks for a render: now if the last one is an interval old, else once at the end of the interval.</summary>
    public void Request()
    {
        TimeSpan wait;
        lock (_lock)
        {
            if (_disposed || _scheduled)
            {
                return;
            }

            _scheduled = true;
            wait = Interval - _time.GetElapsedTime(_lastRender);
            if (wait > TimeSpan.Zero)
            {
                _timer ??= _time.CreateTimer(static state => ((RenderThrottle)state!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _timer.Change(wait, Timeout.InfiniteTimeSpan);
                return;
            }
        }

        Fire();
    }

    /// <summary>A render just happened outside the throttle: drop the pending one and restart the interval.</summary>
    public void Rendered()
    {
        lock (_lock)
        {
            _scheduled = false;
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _lastRender = _time.GetTimestamp();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Fire()
    {
        lock (_lock)
        {
            if (_disposed || !_scheduled)
            {
                return;
            }

            _scheduled = false;
            _lastRender = _time.GetTimestamp();
            Renders++;
        }

        _ = _render();
    }
}
