using QuorumPortal.Engine.Workloads;

namespace QuorumPortal.Engine.Tests.Workloads;

public sealed class LatencyWindowTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(15L)]
    [InlineData(16L)]
    [InlineData(17L)]
    [InlineData(1_000L)]
    [InlineData(123_456L)]
    [InlineData(10_000_000L)]
    public void BucketOf_AnyLatency_UpperBoundWithinOneSixteenth(long micros)
    {
        var upper = LatencyWindow.UpperBoundOf(LatencyWindow.BucketOf(micros));

        Assert.InRange(upper, micros, micros + Math.Max(0, micros / 16));
    }

    [Fact]
    public void Read_OnePercentSlow_P99IsTheFastOnesAndTwoPercentSlowMakesItSlow()
    {
        var clock = new SteppedClock();
        var window = new LatencyWindow(clock, TimeSpan.FromSeconds(10), slots: 10);
        Record(window, 99, TimeSpan.FromMilliseconds(1));
        Record(window, 1, TimeSpan.FromMilliseconds(100));

        var (_, p50, p99) = window.Read();

        Assert.InRange(p50!.Value.TotalMilliseconds, 1, 1.07);
        Assert.InRange(p99!.Value.TotalMilliseconds, 1, 1.07);

        Record(window, 1, TimeSpan.FromMilliseconds(100));
        Assert.InRange(window.Read().P99!.Value.TotalMilliseconds, 100, 107);
    }

    [Fact]
    public void Read_AfterTheWindowPasses_OldLatenciesForgotten()
    {
        var clock = new SteppedClock();
        var window = new LatencyWindow(clock, TimeSpan.FromSeconds(10), slots: 10);
        Record(window, 10, TimeSpan.FromSeconds(2));
        clock.Advance(TimeSpan.FromSeconds(5));
        Record(window, 10, TimeSpan.FromMilliseconds(3));
        Assert.InRange(window.Read().P99!.Value.TotalSeconds, 2, 2.13);

        clock.Advance(TimeSpan.FromSeconds(6));

        Assert.InRange(window.Read().P99!.Value.TotalMilliseconds, 3, 3.2);
        clock.Advance(TimeSpan.FromSeconds(10));
        var (perSecond, p50, p99) = window.Read();
        Assert.Equal(0, perSecond);
        Assert.Null(p50);
        Assert.Null(p99);
    }

    [Fact]
    public void Read_SteadyCompletions_RateOverFinishedSlots()
    {
        var clock = new SteppedClock();
        var window = new LatencyWindow(clock, TimeSpan.FromSeconds(5), slots: 10);
        Assert.Equal(0, window.Read().PerSecond);

        // 50 completions per half-second slot = 100/s, for 7 s (longer than the window).
        for (var slot = 0; slot < 14; slot++)
        {
            Record(window, 50, TimeSpan.FromMilliseconds(1));
            clock.Advance(TimeSpan.FromMilliseconds(500));
        }

        // The slot just begun holds a burst; it is not finished, so it does not count yet.
        Record(window, 500, TimeSpan.FromMilliseconds(1));
        Assert.Equal(100, window.Read().PerSecond, precision: 6);
    }

    private static void Record(LatencyWindow window, int count, TimeSpan latency)
    {
        for (var i = 0; i < count; i++)
        {
            window.Record(latency);
        }
    }

    /// <summary>A clock whose timestamps move only when told (the shared ManualTimeProvider moves only wall time).</summary>
    private sealed class SteppedClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
