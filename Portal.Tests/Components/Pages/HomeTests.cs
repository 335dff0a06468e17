using Bunit;
using QuorumPortal.Portal.Components.Pages;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Pages;

public sealed class HomeTests : DashboardTest
{

    [Fact]
    public void Render_EnsemblePublishedLater_CardAppears()
    {
        Context.Streams.GetOrAdd("alpha").Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);
        var cut = Context.Bunit.Render<Home>();
        Assert.Equal(["alpha"], cut.FindAll("[data-ensemble]").Select(c => c.GetAttribute("data-ensemble")));

        Context.Streams.GetOrAdd("beta").Publish(
            Snapshots.Of("beta", T0, leader: 2, epoch: 1),
            [new QuorumPortal.Engine.Events.LeaderElected("beta", T0, null, 2, 1, null)]);

        cut.WaitForAssertion(() => Assert.Equal(["alpha", "beta"], cut.FindAll("[data-ensemble]").Select(c => c.GetAttribute("data-ensemble"))));
        Assert.Equal("2", cut.Find("[data-ensemble='beta'] [data-leader-id]").GetAttribute("data-leader-id"));
    }

    [Fact]
    public void Render_NothingFailedToComeBack_NoNotRunningSection()
    {
        Context.Streams.GetOrAdd("alpha").Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);

        var cut = Context.Bunit.Render<Home>();

        Assert.Single(cut.FindAll("[data-ensemble]"));
        Assert.Empty(cut.FindAll("[data-not-running]"));
        Assert.DoesNotContain("Not running", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_StreamNobodyPublishesTo_NoCard()
    {
        Context.Streams.GetOrAdd("ghost"); // as a subscriber asking for an unknown name would create

        var cut = Context.Bunit.Render<Home>();

        Assert.Empty(cut.FindAll("[data-ensemble]"));
        Assert.Contains("No ensembles yet", cut.Markup, StringComparison.Ordinal);
    }
}
