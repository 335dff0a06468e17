using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using QuorumPortal.Portal.Components.Layout;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Layout;

/// <summary>The drawer's links are NavLinks in MudBlazor's nav markup: one per ensemble, the current page highlighted.</summary>
public sealed class MainLayoutTests : DashboardTest
{
    [Fact]
    public void Render_OnAMemberPage_EnsembleLinkActiveWithMudBlazorsNavMarkup()
    {
        Stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);
        Context.Bunit.Services.GetRequiredService<NavigationManager>().NavigateTo("ensembles/alpha/members/2");

        var cut = Context.Bunit.Render<MainLayout>(p => p.Add(x => x.Body, (RenderFragment)(b => b.AddContent(0, "page"))));

        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll(".mud-nav-link"), l => l.GetAttribute("href") == "ensembles/alpha"));
        var links = cut.FindAll(".mud-navmenu .mud-nav-item > a.mud-nav-link.mud-ripple");
        Assert.Equal(["Overview", "alpha", "New ensemble", "Operations", "Audit log", "JSON"], links.Select(l => l.QuerySelector(".mud-nav-link-text")!.TextContent));
        Assert.All(links, l => Assert.NotEmpty(l.QuerySelector("svg.mud-nav-link-icon")!.InnerHtml));
        var active = Assert.Single(cut.FindAll(".mud-nav-link.active"));
        Assert.Equal("alpha", active.TextContent.Trim());
    }
}
