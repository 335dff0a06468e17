using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.History;

namespace QuorumPortal.Portal.Tests.History;

public sealed class RateSeriesTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Add_SamplesInOneSecond_IntervalWeightedMeanAndMaximum()
    {
        var series = new RateSeries(TimeSpan.FromMinutes(5));

        // 750 ms at 100 writes/s and 250 ms at 500 writes/s: 200 writes in that second.
        series.Add(Sample(T0.AddMilliseconds(100), writes: 100, reads: 10, latencyAvg: 2, latencyMax: 9, TimeSpan.FromMilliseconds(750)));
        series.Add(Sample(T0.AddMilliseconds(900), writes: 500, reads: 50, latencyAvg: 6, latencyMax: 4, TimeSpan.FromMilliseconds(250)));

        var point = Assert.Single(Points(series));
        Assert.Equal(T0, point.At);
        Assert.Equal(200, point.WritesPerSecond, 6);
        Assert.Equal(20, point.ReadsPerSecond, 6);
        Assert.Equal(3, point.LatencyAvg, 6);
        Assert.Equal(9, point.LatencyMax);
        Assert.Equal(2, series.Version);
    }

    [Fact]
    public void Add_PastTheWindow_OldBucketsDropped()
    {
        var series = new RateSeries(TimeSpan.FromSeconds(10));

        for (var s = 0; s <= 30; s++)
        {
            series.Add(Sample(T0.AddSeconds(s), writes: s, reads: 0, latencyAvg: 1, latencyMax: 1, TimeSpan.FromSeconds(1)));
        }

        var points = Points(series);
        Assert.Equal(11, points.Count);
        Assert.Equal(T0.AddSeconds(20), points[0].At);
        Assert.Equal(30, points[^1].WritesPerSecond);
    }

    [Fact]
    public void Add_LateSample_FoldedIntoItsBucketOrDropped()
    {
        var series = new RateSeries(TimeSpan.FromSeconds(10));
        series.Add(Sample(T0.AddSeconds(2), 100, 0, 1, 1, TimeSpan.FromSeconds(1)));
        series.Add(Sample(T0.AddSeconds(4), 100, 0, 1, 1, TimeSpan.FromSeconds(1)));

        series.Add(Sample(T0.AddSeconds(2.5), 300, 0, 1, 1, TimeSpan.FromSeconds(1))); // a clock stepped back
        series.Add(Sample(T0.AddSeconds(3), 999, 0, 1, 1, TimeSpan.FromSeconds(1))); // its second has no bucket

        Assert.Equal([200.0, 100.0], Points(series).Select(p => p.WritesPerSecond));
    }

    private static List<RatePoint> Points(RateSeries series)
    {
        var points = new List<RatePoint>();
        series.CopyTo(points);
        return points;
    }

    private static ThroughputSample Sample(DateTimeOffset at, double writes, double reads, double latencyAvg, double latencyMax, TimeSpan interval) =>
        new("alpha", at, reads, writes, latencyAvg, latencyMax, interval);
}
