using Bunit;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.Components.Pages;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Pages;

/// <summary>The ensemble page fed through a stream published by hand; waits are on the rendered state.</summary>
public sealed class EnsemblePageTests : DashboardTest
{
    [Fact]
    public async Task Render_LeaderChangeArrives_LeaderCardsAndTimelineUpdateAtOnce()
    {
        Stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), [new LeaderElected("alpha", T0, null, 1, 1, null)]);
        await WaitForHistoryAsync(events: 1);
        var cut = Context.Bunit.Render<EnsemblePage>(p => p.Add(x => x.Name, "alpha"));

        Assert.Equal("alpha", cut.Find(".qp-ensemble-page").GetAttribute("data-ensemble"));
        Assert.Equal("1", cut.Find("[data-leader-id]").GetAttribute("data-leader-id"));
        Assert.Equal(["leader", "follower", "follower"], cut.FindAll("[data-server-id]").Select(c => c.GetAttribute("data-role")));
        Assert.Single(cut.FindAll(".qp-timeline-item"));

        // A sample renders at once (the first request after a quiet interval) and opens the throttle's window;
        // the fake clock never moves, so from here on only an urgent render can show the change.
        Stream.Publish(Snapshots.Of("alpha", T0.AddSeconds(1), leader: 1, epoch: 1), [new HeartbeatObserved("alpha", T0.AddSeconds(1), 2, PeerState.Following, T0, 1)]);
        cut.WaitForState(() => cut.Instance.CoalescedRenders == 1);
        var at = T0.AddSeconds(5);
        Stream.Publish(
            Snapshots.Of("alpha", at, leader: 2, epoch: 2, down: 1),
            [new LeaderLost("alpha", at, 1, 1), new LeaderElected("alpha", at, 1, 2, 2, TimeSpan.FromMilliseconds(380))]);

        cut.WaitForAssertion(() => Assert.Equal("2", cut.Find("[data-leader-id]").GetAttribute("data-leader-id")));
        Assert.Equal(["down", "leader", "follower"], cut.FindAll("[data-server-id]").Select(c => c.GetAttribute("data-role")));
        var newest = cut.FindAll(".qp-timeline-item")[0];
        Assert.Equal("server 1", newest.QuerySelector(".qp-timeline-old")!.TextContent);
        Assert.Equal("server 2", newest.QuerySelector(".qp-timeline-new")!.TextContent);
        Assert.Equal("no leader for 380 ms", newest.QuerySelector(".qp-timeline-gap")!.TextContent);
        Assert.Equal("degraded: 0 failures left", cut.Find(".qp-health").TextContent);
        Assert.Equal(1, cut.Instance.CoalescedRenders);
    }

    [Fact]
    public async Task Render_PastThenLive_EveryEventOnceNewestFirst()
    {
        Stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), [new LeaderElected("alpha", T0, null, 1, 1, null)]);
        var t1 = T0.AddSeconds(1);
        Stream.Publish(Snapshots.Of("alpha", t1, leader: 1, epoch: 1, down: 3), [new PeerStateChanged("alpha", t1, 3, PeerState.Following, PeerState.Down, 1)]);
        await WaitForHistoryAsync(events: 2);
        var cut = Context.Bunit.Render<EnsemblePage>(p => p.Add(x => x.Name, "alpha"));

        var t2 = T0.AddSeconds(2);
        Stream.Publish(Snapshots.Of("alpha", t2, leader: 1, epoch: 1), [new PeerStateChanged("alpha", t2, 3, PeerState.Down, PeerState.Following, 1)]);

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("tr.qp-event").Count));
        var texts = cut.FindAll("tr.qp-event .qp-event-text").Select(r => r.TextContent).ToArray();
        Assert.Equal(
            ["server 3: down → follower (epoch 1)", "server 3: follower → down (epoch 1)", "server 1 leads epoch 1 (first seen)"],
            texts);
    }

    [Fact]
    public void EventLog_FilterByKindAndMember_OnlyMatchingRows()
    {
        var at = T0.AddSeconds(1);
        Stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);
        var cut = Context.Bunit.Render<EnsemblePage>(p => p.Add(x => x.Name, "alpha"));
        Stream.Publish(
            Snapshots.Of("alpha", at, leader: 2, epoch: 2, down: 1),
            [
                new PeerStateChanged("alpha", at, 1, PeerState.Leading, PeerState.Down, 1),
                new PeerStateChanged("alpha", at, 2, PeerState.Following, PeerState.Leading, 2),
                new HeartbeatMissed("alpha", at, 3, T0, TimeSpan.FromSeconds(1)),
                new LeaderElected("alpha", at, 1, 2, 2, TimeSpan.Zero),
            ]);
        cut.WaitForAssertion(() => Assert.Equal(4, cut.FindAll("tr.qp-event").Count));

        // A chip's click is handled asynchronously inside MudBlazor, so each check waits for the re-render.
        cut.Find("[data-kind='PeerStateChanged']").Click();
        cut.WaitForAssertion(() => Assert.Equal(["LeaderElected", "HeartbeatMissed"], Kinds(cut)));

        cut.Find("[data-member='2']").Click();
        cut.WaitForAssertion(() => Assert.Equal(["LeaderElected"], Kinds(cut)));

        cut.Find("[data-kind='PeerStateChanged']").Click();
        cut.WaitForAssertion(() => Assert.Equal(["LeaderElected", "PeerStateChanged"], Kinds(cut)));
        Assert.Contains("server 2: follower → leader", cut.FindAll("tr.qp-event")[1].TextContent, StringComparison.Ordinal);
    }

    private static string[] Kinds(IRenderedComponent<EnsemblePage> cut) =>
        [.. cut.FindAll("tr.qp-event").Select(r => r.GetAttribute("data-kind") ?? "")];

    [Fact]
    public void Render_UnknownEnsemble_SaysSoAndCreatesNoStream()
    {
        var cut = Context.Bunit.Render<EnsemblePage>(p => p.Add(x => x.Name, "nope"));

        Assert.Contains("No ensemble named “nope”", cut.Markup, StringComparison.Ordinal);
        Assert.False(Context.Streams.TryGet("nope", out _));
    }

    [Fact]
    public async Task Dispose_Page_SubscriptionEnds()
    {
        Stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);
        Assert.True(Context.Histories.TryGet("alpha", out _));
        var cut = Context.Bunit.Render<EnsemblePage>(p => p.Add(x => x.Name, "alpha"));
        Assert.Equal(2, Stream.SubscriberCount); // the shared history's and the page's

        await cut.Instance.DisposeAsync();

        Assert.Equal(1, Stream.SubscriberCount);
    }

    [Fact]
    public async Task Render_RealEmbeddedEnsemble_OneLeaderCardMatchingTheSummary()
    {
        await using var context = new DashboardContext(TimeProvider.System);
        await context.Registry.AddAsync(new EmbeddedEnsemble(EnsembleSpec.OfSize("beta", 3, EnsembleSettings.Fast)), CancellationToken.None);

        var cut = context.Bunit.Render<EnsemblePage>(p => p.Add(x => x.Name, "beta"));

        cut.WaitForAssertion(
            () =>
            {
                var leader = Assert.Single(cut.FindAll("[data-role='leader']"));
                Assert.Equal(leader.GetAttribute("data-server-id"), cut.Find("[data-leader-id]").GetAttribute("data-leader-id"));
                Assert.Equal(2, cut.FindAll("[data-role='follower']").Count);
                Assert.Equal("in-process", leader.QuerySelector(".qp-address")!.TextContent);
            },
            TimeSpan.FromSeconds(20));
    }

    private Task WaitForHistoryAsync(int events)
    {
        var history = HistoryOf("alpha");
        return Eventually.Until(() => history.Cut().Events.Count >= events, $"the history holds {events} events");
    }
}
