using Bunit;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.Components.Controls;
using QuorumPortal.Portal.Components.Pages;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Pages;

public sealed class MemberPageTests : DashboardTest
{
    [Fact]
    public void Render_EmbeddedMember_CardAndProbeFieldsAsKeyValueLines()
    {
        Stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 3), []);

        var cut = Context.Bunit.Render<MemberPage>(p => p.Add(x => x.Name, "alpha").Add(x => x.ServerId, 2));

        Assert.Equal("follower", cut.Find("[data-server-id='2']").GetAttribute("data-role"));
        Assert.Equal("1", cut.Find("[data-leader-id]").GetAttribute("data-leader-id"));
        var raw = cut.Find("pre.qp-raw-text");
        Assert.Equal("fields", raw.GetAttribute("data-raw"));
        Assert.Contains("server_state", raw.TextContent, StringComparison.Ordinal);
        Assert.Contains("Following", raw.TextContent, StringComparison.Ordinal);
        Assert.Contains("0x300000007 (3/7)", raw.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_ZooKeeperMemberGoesDown_LastFullRawTextKept()
    {
        const string srvr = "Zookeeper version: 3.8.4\nMode: follower\nZxid: 0x300000007\n";
        Stream.Publish(ZooKeeper(Snapshots.Of("alpha", T0, leader: 1, epoch: 3), 2, srvr), [new LeaderElected("alpha", T0, null, 1, 3, null)]);
        var history = HistoryOf("alpha");
        await Eventually.Until(() => history.LastRaw(2) is not null, "the history kept member 2's text");
        var cut = Context.Bunit.Render<MemberPage>(p => p.Add(x => x.Name, "alpha").Add(x => x.ServerId, 2));
        Assert.Equal("current", cut.Find("pre.qp-raw-text").GetAttribute("data-raw"));
        Assert.Equal(srvr, cut.Find("pre.qp-raw-text").TextContent);

        var at = T0.AddSeconds(1);
        Stream.Publish(
            ZooKeeper(Snapshots.Of("alpha", at, leader: 1, epoch: 3, down: 2), 2, raw: null),
            [new PeerStateChanged("alpha", at, 2, PeerState.Following, PeerState.Down, 3)]);

        cut.WaitForAssertion(() => Assert.Equal("last", cut.Find("pre.qp-raw-text").GetAttribute("data-raw")));
        Assert.Equal(srvr, cut.Find("pre.qp-raw-text").TextContent);
        Assert.Equal("down", cut.Find("[data-server-id='2']").GetAttribute("data-role"));
    }

    [Fact]
    public void Render_Events_OnlyThoseAboutTheMember()
    {
        Stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);
        var cut = Context.Bunit.Render<MemberPage>(p => p.Add(x => x.Name, "alpha").Add(x => x.ServerId, 3));
        var at = T0.AddSeconds(1);

        Stream.Publish(
            Snapshots.Of("alpha", at, leader: 1, epoch: 1, down: 3),
            [
                new PeerStateChanged("alpha", at, 2, PeerState.Following, PeerState.Looking, 1),
                new PeerStateChanged("alpha", at, 3, PeerState.Following, PeerState.Down, 1),
                new QuorumLost("alpha", at, 1, 3),
            ]);

        cut.WaitForAssertion(() => Assert.Equal("down", cut.Find("[data-server-id='3']").GetAttribute("data-role")));
        var row = Assert.Single(cut.FindAll("tr.qp-event"));
        Assert.Contains("server 3: follower → down", row.TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-member]:not(.qp-member-page)")); // no member filter on a member's own page
    }

    [Fact]
    public void Render_NoSuchMember_SaysSo()
    {
        Stream.Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);

        var cut = Context.Bunit.Render<MemberPage>(p => p.Add(x => x.Name, "alpha").Add(x => x.ServerId, 9));

        Assert.Contains("No member 9", cut.Markup, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-server-id]"));
    }

    [Fact]
    public async Task Render_EmbeddedMemberWithClient_ItsSessionListedAndReadAgainOnTheTick()
    {
        var registered = await Context.Registry.AddAsync(new EmbeddedEnsemble(EnsembleSpec.OfSize("alpha", 3, EnsembleSettings.Fast)), CancellationToken.None);
        await registered.Backend.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, TimeSpan.FromSeconds(30));
        await using var client = await registered.Backend.OpenClientAsync(new ClientOptions { ServerIds = [2] }, CancellationToken.None);
        await client.CreateAsync("/seen", "x"u8.ToArray());
        var session = Zxid.ToHex(client.SessionId);

        var cut = Context.Bunit.Render<MemberPage>(p => p.Add(x => x.Name, "alpha").Add(x => x.ServerId, 2));

        var row = cut.WaitForElement($"[data-member-clients='2'] tr[data-session='{session}']", TimeSpan.FromSeconds(10));
        Assert.Equal(["in-process", session, "CREA"], row.QuerySelectorAll("td").Take(3).Select(td => td.TextContent));
        Assert.Single(cut.FindAll("[data-member-clients] tbody tr"));

        // Read again only when the panel's interval has passed (the page's clock is a fake one).
        await client.GetDataAsync("/seen");
        Context.Time.Advance(ClientConnectionsPanel.RefreshInterval);
        cut.WaitForAssertion(() => Assert.Equal("GETD", cut.Find($"tr[data-session='{session}'] td:nth-child(3)").TextContent), TimeSpan.FromSeconds(10));

        // A link to another member reuses the page: its list is read at once, without waiting for the tick.
        cut.Render(p => p.Add(x => x.ServerId, 3));
        cut.WaitForAssertion(() => Assert.Equal("0", cut.Find("[data-member-clients='3'] [data-clients]").GetAttribute("data-clients")), TimeSpan.FromSeconds(10));
    }

    private static EnsembleSnapshot ZooKeeper(EnsembleSnapshot snapshot, int serverId, string? raw) => snapshot with
    {
        Backend = BackendKind.LocalZooKeeper,
        Statuses = [.. snapshot.Statuses.Select(s => s.ServerId == serverId ? s with { Raw = raw } : s)],
    };
}
