using Bunit;
using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.Components.Controls;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Controls;

/// <summary>The overview card, fed through a stream published by hand.</summary>
public sealed class EnsembleCardTests : DashboardTest
{

    [Theory]
    [InlineData(3, 1, new int[0], "healthy", "healthy", "1")]
    [InlineData(3, 1, new[] { 3 }, "degraded", "degraded: 0 failures left", "1")]
    [InlineData(5, 2, new[] { 4 }, "degraded", "degraded: 1 failure left", "2")]
    [InlineData(3, 1, new[] { 2, 3 }, "noquorum", "no quorum", "1")]
    [InlineData(3, null, new int[0], "noquorum", "no quorum", "")]
    public void Render_QuorumStates_HealthTextAndLeader(int size, int? leader, int[] down, string kind, string text, string leaderId)
    {
        Context.Streams.GetOrAdd("alpha").Publish(Snapshots.Of("alpha", T0, leader, epoch: 4, size, down), []);

        var cut = Context.Bunit.Render<EnsembleCard>(p => p.Add(x => x.Ensemble, "alpha"));

        Assert.Equal("alpha", cut.Find("[data-ensemble]").GetAttribute("data-ensemble"));
        var health = cut.Find(".qp-health");
        Assert.Equal(kind, health.GetAttribute("data-health"));
        Assert.Equal(text, health.TextContent);
        Assert.Equal(leaderId, cut.Find("[data-leader-id]").GetAttribute("data-leader-id"));
        Assert.Contains($"{size} voters", cut.Find(".qp-summary").TextContent, StringComparison.Ordinal);
        Assert.Contains("embedded", cut.Find(".qp-summary").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NothingPublishedYet_WaitingAndNoLeader()
    {
        Context.Streams.GetOrAdd("alpha");

        var cut = Context.Bunit.Render<EnsembleCard>(p => p.Add(x => x.Ensemble, "alpha"));

        Assert.Equal("unknown", cut.Find(".qp-health").GetAttribute("data-health"));
        Assert.Equal("", cut.Find("[data-leader-id]").GetAttribute("data-leader-id"));
    }

    [Fact]
    public void Render_LeaderChangePublished_CardShowsNewLeaderWithoutWaitingForTheThrottle()
    {
        var stream = Stream;
        stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);
        var cut = Context.Bunit.Render<EnsembleCard>(p => p.Add(x => x.Ensemble, "alpha"));

        // The first sample renders at once and opens the throttle's window; the fake clock never moves, so from
        // here on only an urgent render can show the change.
        stream.Publish(Snapshots.Of("alpha", T0.AddMilliseconds(500), leader: 1, epoch: 1), [Sample(T0.AddMilliseconds(500), 1, 1)]);
        cut.WaitForState(() => cut.Instance.CoalescedRenders == 1);
        stream.Publish(
            Snapshots.Of("alpha", T0.AddSeconds(1), leader: 2, epoch: 2, down: 1),
            [new LeaderLost("alpha", T0.AddSeconds(1), 1, 1), new LeaderElected("alpha", T0.AddSeconds(1), 1, 2, 2, TimeSpan.Zero)]);

        cut.WaitForAssertion(() => Assert.Equal("2", cut.Find("[data-leader-id]").GetAttribute("data-leader-id")));
        Assert.Equal("degraded: 0 failures left", cut.Find(".qp-health").TextContent);
        Assert.Equal(1, cut.Instance.CoalescedRenders);
    }

    [Fact]
    public async Task Render_ThroughputSamples_NewestRatesAndSparkline()
    {
        var stream = Stream;
        stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);
        var history = HistoryOf("alpha");
        var cut = Context.Bunit.Render<EnsembleCard>(p => p.Add(x => x.Ensemble, "alpha"));

        for (var i = 1; i <= 4; i++)
        {
            stream.Publish(Snapshots.Of("alpha", T0.AddSeconds(i), leader: 1, epoch: 1), [Sample(T0.AddSeconds(i), writes: 100 * i, reads: 300 * i)]);
        }

        // The sparkline redraws on its chart tick, so the clock has to move.
        await Context.AdvanceUntil(() => cut.Find(".qp-rate-writes strong").TextContent == "400", "writes/s shows the newest sample", TickedChart.TickInterval);

        Assert.Equal("1,200", cut.Find(".qp-rate-reads strong").TextContent);
        Assert.Equal(2, cut.FindAll(".qp-sparkline polyline").Count);
        Assert.Equal(4, history.NewestRate(null)!.Value.WritesPerSecond / 100);
    }

    private static ThroughputSample Sample(DateTimeOffset at, double writes, double reads) =>
        new("alpha", at, reads, writes, 1, 5, TimeSpan.FromSeconds(1));
}
