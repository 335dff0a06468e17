using System.Globalization;
using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.History;

namespace QuorumPortal.Portal.Tests.History;

public sealed class RateChartTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    [Fact]
    public void Build_FullWindow_LinesSpanTheWidthAndScaleToTheTopTick()
    {
        // 301 one-second buckets, writes/s rising 0..300, reads/s half of that; latency avg 2, max 8 ms.
        var points = Enumerable.Range(0, 301).Select(s => new RatePoint(T0.AddSeconds(s), s / 2.0, s, 2, 8)).ToList();

        var chart = RateChart.Build(7, Window, points);

        Assert.Equal(7, chart.Version);
        Assert.Equal(301, chart.Count);
        Assert.Equal(300, chart.Newest?.WritesPerSecond);
        // Max 300 → step NiceStep(75) = 100 → ticks 0, 100, 200, 300; the newest write is at the top right corner.
        Assert.Equal(["0", "100", "200", "300"], chart.Rates.ValueTicks.Select(t => t.Label));
        Assert.Equal("bottom:100%", chart.Rates.ValueTicks[^1].Style);
        var writes = chart.Rates.Lines[0];
        Assert.StartsWith("M0 200L3.3 199.3", writes, StringComparison.Ordinal);
        Assert.EndsWith("L1000 0", writes, StringComparison.Ordinal);
        Assert.Equal(301, Commands(writes));
        Assert.EndsWith("L1000 100", chart.Rates.Lines[1], StringComparison.Ordinal);
        // Latency: max 8 → step 2 → 0..8; the average sits at a quarter of the height.
        Assert.Equal(["0", "2", "4", "6", "8"], chart.Latency.ValueTicks.Select(t => t.Label));
        Assert.EndsWith("L1000 150", chart.Latency.Lines[0], StringComparison.Ordinal);
        Assert.EndsWith("L1000 0", chart.Latency.Lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Build_FiveMinuteWindow_TimeLabelEveryMinuteInLocalTime()
    {
        var points = Enumerable.Range(0, 301).Select(s => new RatePoint(T0.AddSeconds(30 + s), 1, 1, 1, 1)).ToList();

        var chart = RateChart.Build(1, Window, points);

        // The window is 12:00:30–12:05:30: minutes 12:01 to 12:05, at 10 %, 30 %, … 90 % of the width.
        var expected = Enumerable.Range(1, 5).Select(m => T0.AddMinutes(m).ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture));
        Assert.Equal(expected, chart.TimeTicks.Select(t => t.Label));
        Assert.Equal(["left:10%", "left:30%", "left:50%", "left:70%", "left:90%"], chart.TimeTicks.Select(t => t.Style));
    }

    [Fact]
    public void Build_GapInTheBuckets_NewSegment()
    {
        var points = new[] { 0, 1, 2, 10, 11 }.Select(s => new RatePoint(T0.AddSeconds(s), 0, 1, 0, 0)).ToList();

        var chart = RateChart.Build(1, Window, points);

        Assert.Equal(2, chart.Rates.Lines[0].Count(c => c == 'M'));
    }

    [Fact]
    public void Build_NoPoints_Empty()
    {
        var chart = RateChart.Build(0, Window, []);

        Assert.Equal(0, chart.Count);
        Assert.Null(chart.Newest);
        Assert.Empty(chart.Rates.Lines);
        Assert.Empty(chart.TimeTicks);
    }

    [Fact]
    public void Chart_SameVersion_OneSharedDrawing_NewSampleNewDrawing()
    {
        var history = new EnsembleHistory("alpha");
        history.Apply([new ThroughputSample("alpha", T0, 1, 2, 1, 4, TimeSpan.FromSeconds(1))], null);

        var first = history.Chart(null);
        Assert.NotNull(first);
        Assert.Same(first, history.Chart(null)); // every page at this version shares it
        Assert.Null(history.Chart(serverId: 1));

        history.Apply([new ThroughputSample("alpha", T0.AddSeconds(1), 1, 3, 1, 4, TimeSpan.FromSeconds(1))], null);
        var second = history.Chart(null);

        Assert.NotSame(first, second);
        Assert.Equal(2, second!.Count);
        Assert.Equal(3, second.Newest?.WritesPerSecond);
        Assert.Equal(1, first.Count); // a paused page keeps what it showed
    }

    private static int Commands(string path) => path.Count(c => c is 'M' or 'L');
}
