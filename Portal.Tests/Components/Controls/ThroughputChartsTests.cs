using System.Globalization;
using Bunit;
using MudBlazor.Interop;
using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.Components.Controls;
using QuorumPortal.Portal.History;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Controls;

/// <summary>
/// The charts are MudBlazor time-series charts over the history's shared lines; they redraw on their own tick, once
/// however many samples arrived, never for a parent, and hold what they showed while paused.
/// </summary>
public sealed class ThroughputChartsTests : DashboardTest
{
    private const string WritesLine = ".qp-chart-rates path.mud-chart-line[stroke='#594ae2']";

    // MudBlazor draws the lines after measuring the axis labels, on its own debounce timer (200 ms of real time).
    private static readonly TimeSpan Drawn = TimeSpan.FromSeconds(10);

    private readonly EnsembleHistory _history;

    public ThroughputChartsTests()
    {
        Stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);
        _history = HistoryOf("alpha");

        // MudBlazor sizes a chart to its box (MatchBoundsToSize), and draws its lines only once the browser has
        // measured the chart's box and axis labels; these are the browser's answers.
        Context.Bunit.JSInterop.Setup<ElementSize>("mudObserveElementSize", _ => true)
            .SetResult(new ElementSize { Width = 600, Height = 220, Timestamp = 1 });
        Context.Bunit.JSInterop.Setup<ElementSize>("mudGetSvgBBox", _ => true)
            .SetResult(new ElementSize { Width = 24, Height = 14 });
    }

    [Fact]
    public async Task Tick_ManySamplesBetweenTicks_OneRedrawWithTheNewest()
    {
        var cut = Context.Bunit.Render<ThroughputCharts>(p => p.Add(x => x.History, _history));
        var rendersBefore = cut.Instance.Renders;

        await PublishSamplesAsync(1, 10);

        // Ten samples arrived and no tick yet: nothing redrew.
        Assert.Equal(rendersBefore, cut.Instance.Renders);
        Assert.Contains("No throughput samples yet", cut.Markup, StringComparison.Ordinal);

        Context.Time.Advance(TickedChart.TickInterval);

        cut.WaitForAssertion(() => Assert.Equal("100", cut.Find(".qp-rate-writes strong").TextContent));
        Assert.Equal(1, cut.Instance.TickRedraws);
        Assert.Equal(rendersBefore + 1, cut.Instance.Renders);
        cut.WaitForAssertion(() => Assert.Equal(4, cut.FindAll(".qp-chart path.mud-chart-line").Count), Drawn);
        var drawn = cut.Find(WritesLine).GetAttribute("d");

        // A tick with nothing new does not redraw.
        Context.Time.Advance(TickedChart.TickInterval);
        await Eventually.Until(() => cut.Instance.Ticks >= 2, "the second tick ran");
        Assert.Equal(1, cut.Instance.TickRedraws);
        Assert.Equal(rendersBefore + 1, cut.Instance.Renders);

        await PublishSamplesAsync(11, 15);
        Context.Time.Advance(TickedChart.TickInterval);

        cut.WaitForAssertion(() => Assert.Equal("150", cut.Find(".qp-rate-writes strong").TextContent));
        Assert.Equal(2, cut.Instance.TickRedraws);
        Assert.Equal(rendersBefore + 2, cut.Instance.Renders);
        cut.WaitForAssertion(() => Assert.NotEqual(drawn, cut.Find(WritesLine).GetAttribute("d")), Drawn);
    }

    [Fact]
    public async Task Render_Samples_TimeSeriesChartsWithLinesLegendsAndTimeAxis()
    {
        await PublishSamplesAsync(1, 10);

        var cut = Context.Bunit.Render<ThroughputCharts>(p => p.Add(x => x.History, _history));

        cut.WaitForAssertion(() => Assert.Equal(4, cut.FindAll("path.mud-chart-line").Count), Drawn);
        foreach (var (chart, names) in new[] { (".qp-chart-rates", "writes/s reads/s"), (".qp-chart-latency", "avg max") })
        {
            Assert.Equal(names, string.Join(' ', cut.FindAll($"{chart} .mud-chart-legend-item").Select(l => l.TextContent.Trim())));
            Assert.All(cut.FindAll($"{chart} path.mud-chart-line"), line => Assert.StartsWith("M ", line.GetAttribute("d"), StringComparison.Ordinal));
        }

        // Five minutes up to the newest sample, labelled on whole minutes; no tooltip markers (a circle per point).
        var minute = T0.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture);
        Assert.Contains(cut.FindAll(".qp-chart-rates .mud-charts-xaxis text"), label => label.TextContent == minute);
        Assert.Empty(cut.FindAll(".qp-charts circle"));
    }

    [Fact]
    public async Task Render_ParentRerenders_ChartsDoNotRedraw()
    {
        await PublishSamplesAsync(1, 3);
        var cut = Context.Bunit.Render<ThroughputCharts>(p => p.Add(x => x.History, _history));
        Assert.Equal("30", cut.Find(".qp-rate-writes strong").TextContent);
        var renders = cut.Instance.Renders;

        await PublishSamplesAsync(4, 6);
        cut.Render(p => p.Add(x => x.History, _history)); // as a parent's render would

        Assert.Equal(renders, cut.Instance.Renders);
        Assert.Equal("30", cut.Find(".qp-rate-writes strong").TextContent);
    }

    [Fact]
    public async Task Pause_SamplesArrive_ChartsHoldUntilResumed()
    {
        await PublishSamplesAsync(1, 2);
        var cut = Context.Bunit.Render<ThroughputCharts>(p => p.Add(x => x.History, _history));
        var drawn = cut.WaitForElement(WritesLine, Drawn).GetAttribute("d");
        cut.Find("button.qp-pause").Click();
        Assert.Equal("true", cut.Find(".qp-charts").GetAttribute("data-paused"));

        await PublishSamplesAsync(3, 5);
        Context.Time.Advance(TickedChart.TickInterval);
        await Eventually.Until(() => cut.Instance.Ticks >= 1, "a tick ran while paused");

        Assert.Equal("20", cut.Find(".qp-rate-writes strong").TextContent);
        Assert.Equal(drawn, cut.Find(WritesLine).GetAttribute("d"));
        cut.Find("button.qp-pause").Click();
        Assert.Equal("50", cut.Find(".qp-rate-writes strong").TextContent);
        Assert.Equal("false", cut.Find(".qp-charts").GetAttribute("data-paused"));
        cut.WaitForAssertion(() => Assert.NotEqual(drawn, cut.Find(WritesLine).GetAttribute("d")), Drawn);
    }

    /// <summary>One sample per second, writes/s = 10 × its number; returns once the history holds the last one.</summary>
    private async Task PublishSamplesAsync(int first, int last)
    {
        for (var i = first; i <= last; i++)
        {
            var at = T0.AddSeconds(i);
            Stream.Publish(Snapshots.Of("alpha", at, leader: 1, epoch: 1), [new ThroughputSample("alpha", at, 3 * i, 10 * i, 1, 4, TimeSpan.FromSeconds(1))]);
        }

        await Eventually.Until(() => _history.NewestRate(null)?.WritesPerSecond == 10 * last, $"the history holds sample {last}");
    }
}
