using Bunit;
using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.Components.Controls;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Controls;

public sealed class LeaderTimelineTests : DashboardTest
{

    [Fact]
    public void Render_Elections_NewestFirstWithOldNewEpochAndLeaderlessPeriod()
    {
        LeaderElected[] elections =
        [
            new("alpha", T0, null, 1, 1, null),
            new("alpha", T0.AddSeconds(30), 1, 2, 2, TimeSpan.FromMilliseconds(412)),
            new("alpha", T0.AddSeconds(60), 2, 3, 3, TimeSpan.Zero),
        ];

        var cut = Context.Bunit.Render<LeaderTimeline>(p => p.Add(x => x.Elections, elections));

        var items = cut.FindAll(".qp-timeline-item");
        Assert.Equal(["3", "2", "1"], items.Select(i => i.GetAttribute("data-epoch")));
        Assert.Equal("server 2", items[0].QuerySelector(".qp-timeline-old")!.TextContent);
        Assert.Equal("server 3", items[0].QuerySelector(".qp-timeline-new")!.TextContent);
        Assert.Equal("changed within one probe", items[0].QuerySelector(".qp-timeline-gap")!.TextContent);
        Assert.Equal("server 1", items[1].QuerySelector(".qp-timeline-old")!.TextContent);
        Assert.Equal("no leader for 412 ms", items[1].QuerySelector(".qp-timeline-gap")!.TextContent);
        Assert.Equal("—", items[2].QuerySelector(".qp-timeline-old")!.TextContent);
        Assert.Equal("first seen by the monitor", items[2].QuerySelector(".qp-timeline-gap")!.TextContent);
        Assert.Empty(cut.FindAll("[data-open]"));
    }

    [Fact]
    public void Render_LeaderlessNow_OpenPeriodFirstWithItsLength()
    {
        LeaderElected[] elections = [new("alpha", T0, null, 1, 1, null)];

        var cut = Context.Bunit.Render<LeaderTimeline>(p => p
            .Add(x => x.Elections, elections)
            .Add(x => x.LeaderlessSince, T0.AddSeconds(10))
            .Add(x => x.Now, T0.AddSeconds(12.5)));

        var open = cut.Find(".qp-timeline-item");
        Assert.Equal("true", open.GetAttribute("data-open"));
        Assert.Contains("(2.5 s)", open.TextContent, StringComparison.Ordinal);
        Assert.Equal(2, cut.FindAll(".qp-timeline-item").Count);
    }

    [Fact]
    public void Render_NoElections_SaysSo()
    {
        var cut = Context.Bunit.Render<LeaderTimeline>();

        Assert.Contains("No election seen yet", cut.Markup, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll(".qp-timeline-item"));
    }
}
