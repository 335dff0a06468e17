using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.History;

namespace QuorumPortal.Portal.Tests.History;

public sealed class RateChartTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    [Fact]
    public void Build_FullWindow_TwoSecondPointsOfMeansAndMaxima()
    {
        // 301 one-second buckets: writes/s rising 0..300, reads/s half of that; latency avg 2 or 4 ms, max 1 ms but 8 at 150 s.
        var buckets = Enumerable.Range(0, 301)
            .Select(s => new RatePoint(T0.AddSeconds(s), s / 2.0, s, s % 2 == 0 ? 2 : 4, s == 150 ? 8 : 1))
            .ToList();

        var chart = RateChart.Build(7, Window, buckets);

        Assert.Equal(7, chart.Version);
        Assert.Equal(301, chart.Count);
        Assert.Equal(151, chart.Points); // 0-1, 2-3, … 298-299, 300
        Assert.Equal(new RatePoint(T0.AddSeconds(300), 150, 300, 2, 1), chart.Newest); // the newest bucket, exact
        Assert.Equal(["writes/s", "reads/s"], chart.Rates.Series.Select(s => s.Name));
        Assert.Equal(["avg", "max"], chart.Latency.Series.Select(s => s.Name));

        var writes = Values(chart.Rates.Series[0]);
        Assert.Equal(151, writes.Count);
        Assert.Equal((T0.LocalDateTime, 0.5), writes[0]);
        Assert.Equal((T0.AddSeconds(2).LocalDateTime, 2.5), writes[1]);
        Assert.Equal((T0.AddSeconds(300).LocalDateTime, 300), writes[^1]);
        Assert.Equal(150, Values(chart.Rates.Series[1])[^1].Value);
        Assert.All(Values(chart.Latency.Series[0]).SkipLast(1), p => Assert.Equal(3, p.Value));
        Assert.Equal(8, Values(chart.Latency.Series[1])[75].Value);
        Assert.Equal(1, Values(chart.Latency.Series[1])[74].Value);

        // Max 300 writes/s → ticks every NiceStep(75) = 100; latency max 8 → every 2.
        Assert.Equal(100, chart.Rates.Options.YAxisTicks);
        Assert.Equal(2, chart.Latency.Options.YAxisTicks);
        Assert.Equal(TimeSpan.FromMinutes(1), chart.Rates.Options.TimeLabelSpacing);
        Assert.Equal("HH:mm", chart.Rates.Options.TimeLabelFormat);
        Assert.False(chart.Rates.Options.ShowToolTips);
        Assert.False(chart.Latency.Options.ShowToolTips);
    }

    [Fact]
    public void Build_YoungSeries_TimeAxisSpansTheWholeWindow()
    {
        var buckets = Enumerable.Range(290, 11).Select(s => new RatePoint(T0.AddSeconds(s), 1, 1, 1, 1)).ToList();

        var chart = RateChart.Build(1, Window, buckets);

        // The window's ends are points without a value, so MudBlazor's time axis runs from 5 minutes ago to now.
        var points = chart.Rates.Series[0].Data.Points;
        Assert.Equal((T0.LocalDateTime, false), ((DateTime)points[0].X!, points[0].HasValue));
        Assert.Equal((T0.AddSeconds(300).LocalDateTime, false), ((DateTime)points[^1].X!, points[^1].HasValue));
        Assert.Equal(6, chart.Points);
        Assert.Equal(6, points.Count(p => p.HasValue));
    }

    [Fact]
    public void Build_GapInTheBuckets_PointWithoutValueBreaksTheLine()
    {
        var buckets = new[] { 0, 1, 2, 10, 11 }.Select(s => new RatePoint(T0.AddSeconds(s), 0, 1, 0, 0)).ToList();

        var chart = RateChart.Build(1, Window, buckets);

        var points = chart.Rates.Series[0].Data.Points;
        Assert.Equal([false, true, true, false, true, false], points.Select(p => p.HasValue));
        Assert.Equal(T0.AddSeconds(3).LocalDateTime, points[3].X); // the first second missing
        Assert.Equal(3, chart.Points);
    }

    [Fact]
    public void Build_NoBuckets_Empty()
    {
        var chart = RateChart.Build(0, Window, []);

        Assert.Equal(0, chart.Count);
        Assert.Equal(0, chart.Points);
        Assert.Null(chart.Newest);
        Assert.All(chart.Rates.Series.Concat(chart.Latency.Series), s => Assert.Equal(0, s.Data.Count));
    }

    [Fact]
    public void Chart_SameVersion_OneSharedChart_NewSampleNewChart()
    {
        var history = new EnsembleHistory("alpha");
        history.Apply([new ThroughputSample("alpha", T0, 1, 2, 1, 4, TimeSpan.FromSeconds(1))], null);

        var first = history.Chart(null);
        Assert.NotNull(first);
        Assert.Same(first, history.Chart(null)); // every page at this version shares it, series and all
        Assert.Null(history.Chart(serverId: 1));

        history.Apply([new ThroughputSample("alpha", T0.AddSeconds(1), 1, 3, 1, 4, TimeSpan.FromSeconds(1))], null);
        var second = history.Chart(null);

        Assert.NotSame(first, second);
        Assert.Equal(2, second!.Count);
        Assert.Equal(3, second.Newest?.WritesPerSecond);
        Assert.Equal(1, first.Count); // a paused page keeps what it showed
        Assert.Equal(2, Values(first.Rates.Series[0]).Single().Value);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 5)]
    [InlineData(40, 50)]
    [InlineData(180, 200)]
    [InlineData(26_000, 50_000)]
    public void NiceStep_RoughStep_OneTwoOrFiveTimesAPowerOfTen(double rough, int step) =>
        Assert.Equal(step, RateChart.NiceStep(rough));

    /// <summary>The points of a line that have a value, as (time, value).</summary>
    private static List<(DateTime At, double Value)> Values(MudBlazor.ChartSeries<double> series) =>
        series.Data.Points.Where(p => p.HasValue).Select(p => ((DateTime)p.X!, p.Y)).ToList();
}
