using Bunit;
using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.Components.Controls;
using QuorumPortal.Portal.History;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Controls;

/// <summary>The charts redraw on their own tick, once however many samples arrived, and never for a parent.</summary>
public sealed class ThroughputChartsTests : DashboardTest
{
    private readonly EnsembleHistory _history;

    public ThroughputChartsTests()
    {
        Stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);
        _history = HistoryOf("alpha");
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
        Assert.Equal(2, cut.FindAll(".qp-chart").Count);

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
        cut.Find("button.qp-pause").Click();
        Assert.Equal("true", cut.Find(".qp-charts").GetAttribute("data-paused"));

        await PublishSamplesAsync(3, 5);
        Context.Time.Advance(TickedChart.TickInterval);
        await Eventually.Until(() => cut.Instance.Ticks >= 1, "a tick ran while paused");

        Assert.Equal("20", cut.Find(".qp-rate-writes strong").TextContent);
        cut.Find("button.qp-pause").Click();
        Assert.Equal("50", cut.Find(".qp-rate-writes strong").TextContent);
        Assert.Equal("false", cut.Find(".qp-charts").GetAttribute("data-paused"));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 5)]
    [InlineData(40, 50)]
    [InlineData(180, 200)]
    [InlineData(26_000, 50_000)]
    public void NiceStep_RoughStep_OneTwoOrFiveTimesAPowerOfTen(double rough, int step) =>
        Assert.Equal(step, RateChart.NiceStep(rough));

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
