using Microsoft.Extensions.Time.Testing;
using QuorumPortal.Portal.Utils;

namespace QuorumPortal.Portal.Tests.Utils;

public sealed class RenderThrottleTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly FakeTimeProvider _time = new();
    private int _renders;

    [Fact]
    public void Request_QuietBefore_RendersAtOnce()
    {
        using var throttle = New();

        throttle.Request();

        Assert.Equal(1, _renders);
    }

    [Fact]
    public void Request_ManyWithinInterval_OneRenderAtItsEnd()
    {
        using var throttle = New();
        throttle.Request();

        for (var i = 0; i < 50; i++)
        {
            throttle.Request();
        }

        _time.Advance(Interval - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _renders);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, _renders);
        _time.Advance(Interval * 4);
        Assert.Equal(2, _renders);
        Assert.Equal(2, throttle.Renders);
    }

    [Fact]
    public void Rendered_PendingRequest_Dropped()
    {
        using var throttle = New();
        throttle.Request();
        throttle.Request();

        throttle.Rendered(); // an urgent render showed everything already

        _time.Advance(Interval * 2);
        Assert.Equal(1, _renders);
        throttle.Request();
        Assert.Equal(2, _renders);
    }

    [Fact]
    public void Rendered_IntervalRestartsFromIt()
    {
        using var throttle = New();
        throttle.Request(); // renders at once
        _time.Advance(Interval / 2);

        throttle.Rendered(); // an urgent render, half an interval later
        _time.Advance(Interval / 2);
        throttle.Request(); // a whole interval after the first render, half after the urgent one

        Assert.Equal(1, _renders);
        _time.Advance(Interval / 2);
        Assert.Equal(2, _renders);
    }

    [Fact]
    public void Dispose_PendingRequest_NeverRenders()
    {
        var throttle = New();
        throttle.Request();
        throttle.Request();

        throttle.Dispose();

        _time.Advance(Interval * 2);
        Assert.Equal(1, _renders);
    }

    private RenderThrottle New() => new(_time, Interval, () =>
    {
        _renders++;
        return Task.CompletedTask;
    });
}
