using QuorumPortal.Portal.Tests.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace QuorumPortal.Portal.Tests.EndToEnd;

/// <summary>
/// One-click expansion in real Chromium: on the demo's ensemble page, "Expand to 5" runs the operation, whose page
/// shows it succeed; back on the ensemble page there are five members and exactly one leader.
/// </summary>
[Trait("Category", "Browser")]
public sealed class ExpandBrowserTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task EnsemblePage_ExpandClicked_FiveMembersOneLeader()
    {
        await using var session = await BrowserSession.StartAsync(nameof(EnsemblePage_ExpandClicked_FiveMembersOneLeader), output);
        await session.RunAsync(async () =>
        {
            var page = session.Page;
            await session.OpenAsync(DashboardDom.EnsemblePage("demo"));
            await session.WaitForSingleLeaderAsync("demo", excluded: null, serving: 3, TimeSpan.FromSeconds(30));
            var expand = page.Locator("[data-action=expand]");
            await Expect(expand).ToHaveTextAsync("Expand to 5");
            await Expect(expand).ToBeEnabledAsync();
            await session.ScreenshotAsync("before");

            await expand.ClickAsync();

            // The button opens the operation's page, which follows it live to its end.
            await Expect(page.Locator("[data-operation-state=succeeded]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await Expect(page.Locator("[data-outcome]")).ToContainTextAsync("5 voters");
            await session.ScreenshotAsync("operation");

            await session.OpenAsync(DashboardDom.EnsemblePage("demo"));
            var leader = await session.WaitForSingleLeaderAsync("demo", excluded: null, serving: 5, TimeSpan.FromSeconds(30));
            Assert.Equal(5, await page.Locator(DashboardDom.Members("demo")).CountAsync());
            Assert.Equal(1, await page.Locator($"{DashboardDom.Members("demo")}[data-role=\"leader\"]").CountAsync());
            await Expect(page.Locator("[data-action=expand]")).ToHaveTextAsync("Expand to 7");
            output.WriteLine($"demo expanded to 5; server {leader} leads");
            await session.ScreenshotAsync("after");
        });
    }
}
