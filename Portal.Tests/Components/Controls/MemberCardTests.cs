using Bunit;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Portal.Components.Controls;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Controls;

public sealed class MemberCardTests : DashboardTest
{

    [Theory]
    [InlineData(PeerState.Leading, "leader")]
    [InlineData(PeerState.Following, "follower")]
    [InlineData(PeerState.Observing, "observer")]
    [InlineData(PeerState.Looking, "looking")]
    [InlineData(PeerState.Down, "down")]
    public void Render_EachPeerState_RoleBadgeAndDataRole(PeerState state, string role)
    {
        var status = state == PeerState.Down
            ? MemberStatus.Down(2, T0, "connection refused")
            : Snapshots.Serving(2, T0, state, leader: 1, epoch: 5);

        var cut = Context.Bunit.Render<MemberCard>(p => p
            .Add(x => x.ServerId, 2)
            .Add(x => x.Status, status)
            .Add(x => x.Member, new MemberSpec { ServerId = 2, Host = "10.0.0.2", ClientPort = 2181 }));

        var card = cut.Find("[data-server-id]");
        Assert.Equal("2", card.GetAttribute("data-server-id"));
        Assert.Equal(role, card.GetAttribute("data-role"));
        Assert.Equal(role, cut.Find(".qp-role-badge").TextContent);
        Assert.Equal("10.0.0.2:2181", cut.Find(".qp-address").TextContent);
        if (state == PeerState.Down)
        {
            Assert.Equal("connection refused", cut.Find(".qp-member-error").TextContent);
            Assert.Equal("none", cut.Find(".qp-hb").GetAttribute("data-heartbeat"));
            Assert.Equal("—", cut.Find(".qp-epoch").TextContent); // not a zero it never reported
            Assert.Equal("—", cut.Find(".qp-zxid").TextContent.Trim());
        }
        else
        {
            Assert.Equal("5", cut.Find(".qp-epoch").TextContent);
            Assert.Contains("0x500000007", cut.Find(".qp-zxid").TextContent, StringComparison.Ordinal);
            Assert.Contains("5/7", cut.Find(".qp-zxid").TextContent, StringComparison.Ordinal);
            Assert.Empty(cut.FindAll(".qp-member-error"));
        }
    }

    [Theory]
    [InlineData(40, "fresh", "40 ms")]
    [InlineData(250, "fresh", "250 ms")]
    [InlineData(251, "ageing", "251 ms")]
    [InlineData(500, "ageing", "500 ms")]
    [InlineData(501, "stale", "501 ms")]
    [InlineData(2400, "stale", "2.4 s")]
    public void Render_HeartbeatAge_ColourTurnsAsItAges(int ageMs, string level, string text)
    {
        var status = Snapshots.Serving(3, T0, PeerState.Following, leader: 1, epoch: 2, heartbeatAge: TimeSpan.FromMilliseconds(ageMs));

        var cut = Context.Bunit.Render<MemberCard>(p => p
            .Add(x => x.ServerId, 3)
            .Add(x => x.Status, status)
            .Add(x => x.MissedAfter, TimeSpan.FromMilliseconds(500)));

        var heartbeat = cut.Find(".qp-hb");
        Assert.Equal(level, heartbeat.GetAttribute("data-heartbeat"));
        Assert.Contains($"qp-hb-{level}", heartbeat.ClassList);
        Assert.Equal(text, heartbeat.TextContent.Trim());
    }

    [Fact]
    public void Render_LookingMember_NoHeartbeatAgeAndPhaseShown()
    {
        var cut = Context.Bunit.Render<MemberCard>(p => p
            .Add(x => x.ServerId, 1)
            .Add(x => x.Status, Snapshots.Serving(1, T0, PeerState.Looking, leader: null, epoch: 3)));

        Assert.Equal("none", cut.Find(".qp-hb").GetAttribute("data-heartbeat"));
        Assert.Equal("—", cut.Find(".qp-hb").TextContent.Trim());
        Assert.Contains("Election", cut.Find(".qp-facts").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NotProbedYet_ShownDownWithDashes()
    {
        var cut = Context.Bunit.Render<MemberCard>(p => p.Add(x => x.ServerId, 4));

        Assert.Equal("down", cut.Find("[data-server-id='4']").GetAttribute("data-role"));
        Assert.Equal("—", cut.Find(".qp-epoch").TextContent);
        Assert.Equal("—", cut.Find(".qp-address").TextContent);
    }
}
