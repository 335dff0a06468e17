using System.Diagnostics;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper;
using QuorumPortal.Portal.Tests.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace QuorumPortal.Portal.Tests.EndToEnd;

/// <summary>
/// The portal in real Chromium: the ensemble page shows exactly one leader, the leader is killed through the
/// Engine, and the page marks a different leader within 2 s of the kill. Screenshots before and after go to
/// TestResults/screenshots; a failing test also leaves a Playwright trace in TestResults/traces.
/// </summary>
[Trait("Category", "Browser")]
public sealed class LeaderFailoverBrowserTests(ITestOutputHelper output)
{
    // The promise: a different leader on the page within 2 s of killing the old one.
    private static readonly TimeSpan Failover = TimeSpan.FromSeconds(2);

    [ChromiumFact]
    public async Task EnsemblePage_DemoLeaderKilled_DifferentLeaderMarkedWithinTwoSeconds()
    {
        await using var session = await BrowserSession.StartAsync(nameof(EnsemblePage_DemoLeaderKilled_DifferentLeaderMarkedWithinTwoSeconds), output);
        await session.RunAsync(async () =>
        {
            await session.OpenAsync(DashboardDom.EnsemblePage("demo"));
            await KillLeaderAndSeeAnotherAsync(session, "demo", settle: TimeSpan.FromSeconds(30));
        });
    }

    [ChromiumZooKeeperFact]
    [Trait("Category", "ZooKeeper")]
    public async Task EnsemblePage_LocalZooKeeperLeaderKilled_DifferentLeaderMarkedWithinTwoSeconds()
    {
        // Without the demo, the page and the machine's two cores are the ZooKeeper ensemble's alone.
        var settings = new Dictionary<string, string?> { ["Portal:DemoEnsemble"] = "false" };
        await using var session = await BrowserSession.StartAsync(nameof(EnsemblePage_LocalZooKeeperLeaderKilled_DifferentLeaderMarkedWithinTwoSeconds), output, settings);
        await session.RunAsync(async () =>
        {
            var spec = EnsembleSpec.OfSize("zk", 3, EnsembleSettings.Fast, BackendKind.LocalZooKeeper);
            var zooKeeper = new LocalZooKeeperEnsemble(spec, Path.Combine(session.Portal.DataDirectory, "ensembles", "zk"));
            output.WriteLine("local ZooKeeper, tickTime 200: " + string.Join(", ", zooKeeper.Members.Select(m => $"server.{m.ServerId} client port {m.ClientPort}")));
            await session.Registry.AddAsync(zooKeeper, CancellationToken.None); // the portal owns and stops it from here

            await session.OpenAsync(DashboardDom.EnsemblePage("zk"));
            await KillLeaderAndSeeAnotherAsync(session, "zk", settle: TimeSpan.FromSeconds(60));
        });
    }

    private async Task KillLeaderAndSeeAnotherAsync(BrowserSession session, string ensemble, TimeSpan settle)
    {
        var page = session.Page;
        var members = page.Locator(DashboardDom.Members(ensemble));
        var leaders = page.Locator($"{DashboardDom.Members(ensemble)}[data-role=\"leader\"]");

        var old = await session.WaitForSingleLeaderAsync(ensemble, excluded: null, serving: 3, settle);
        Assert.Equal(3, await members.CountAsync());
        Assert.Equal(1, await leaders.CountAsync());
        await session.ScreenshotAsync("before");

        Assert.True(session.Registry.TryGet(ensemble, out var registered));
        var sinceKill = Stopwatch.StartNew();
        await registered.Backend.StopMemberAsync(old, StopMode.Kill, CancellationToken.None);
        var killCall = sinceKill.Elapsed;
        var successor = await session.WaitForSingleLeaderAsync(ensemble, excluded: old, serving: 2, Failover - sinceKill.Elapsed);
        var shown = sinceKill.Elapsed;
        output.WriteLine($"{ensemble}: leader {old} killed (call took {killCall.TotalMilliseconds:0} ms); page marked leader {successor} {shown.TotalMilliseconds:0} ms after the kill");

        Assert.NotEqual(old, successor);
        await Expect(page.Locator(DashboardDom.Member(ensemble, old))).ToHaveAttributeAsync("data-role", "down");
        Assert.Equal(1, await leaders.CountAsync());
        await session.ScreenshotAsync("after");
    }
}
