using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

[Trait("Category", "ZooKeeper")]
public sealed class ConfParserTests
{
    [Fact]
    public void Parse_RealFollower_ReadsIdRoleMembershipAndVersion()
    {
        var report = ConfParser.Parse(ProbeData.Read("follower.conf.txt"));

        Assert.Equal(1, report.ServerId);
        Assert.Equal(MemberRole.Participant, report.Role);
        Assert.Equal(50149, report.ClientPort);
        Assert.Equal(200, report.TickTime);
        Assert.Equal(0x1_0000_0000L, report.ConfigVersion);
        Assert.Equal([1, 2, 3, 4], report.Members.Select(m => m.ServerId));
        Assert.Equal(MemberRole.Observer, report.Members[3].Role);
        var self = report.Members[0];
        Assert.Equal(new MemberSpec { ServerId = 1, Host = "127.0.0.1", QuorumPort = 50041, ElectionPort = 35769, ClientPort = 50149 }, self);
        Assert.Equal("3", report.Values["electionAlg"]);
    }

    [Fact]
    public void Parse_RealObserver_ReadsObserverPeerType()
    {
        var report = ConfParser.Parse(ProbeData.Read("observer.conf.txt"));

        Assert.Equal(4, report.ServerId);
        Assert.Equal(MemberRole.Observer, report.Role);
    }

    [Fact]
    public void Parse_NoServerId_ThrowsFormatException()
    {
        var e = Assert.Throws<FormatException>(() => ConfParser.Parse("clientPort=2181\n"));
        Assert.Contains("serverId", e.Message);
    }

    [Fact]
    public void Parse_LineWithoutEquals_NamesTheLine()
    {
        var e = Assert.Throws<FormatException>(() => ConfParser.Parse("serverId=1\nnonsense\n"));
        Assert.Contains("line 2", e.Message);
    }
}

[Trait("Category", "ZooKeeper")]
public sealed class DynamicConfigLineTests
{
    [Fact]
    public void Parse_ToConfigLineOutput_RoundTrips()
    {
        var member = new MemberSpec { ServerId = 7, Role = MemberRole.Observer, Host = "10.0.0.7", QuorumPort = 2888, ElectionPort = 3888, ClientPort = 2181 };

        Assert.Equal(member, DynamicConfigLine.Parse(member.ToConfigLine()));
    }

    [Theory]
    [InlineData("server.2=zk2:2888:3888", "zk2", 0, MemberRole.Participant)]
    [InlineData("server.2=zk2:2888:3888:observer;2181", "zk2", 2181, MemberRole.Observer)]
    [InlineData("server.2=[::1]:2888:3888:participant;[::1]:2181", "::1", 2181, MemberRole.Participant)]
    public void Parse_ZooKeeperVariants_ReadsHostClientPortAndRole(string line, string host, int clientPort, MemberRole role)
    {
        var member = DynamicConfigLine.Parse(line);

        Assert.Equal((2, host, 2888, 3888, clientPort, role), (member.ServerId, member.Host, member.QuorumPort, member.ElectionPort, member.ClientPort, member.Role));
    }

    [Theory]
    [InlineData("version=100000000")]
    [InlineData("server.x=a:1:2")]
    [InlineData("server.1=a:1")]
    [InlineData("server.1=a:1:2:voter")]
    [InlineData("server.1=a:1:99999")]
    public void Parse_Garbage_ThrowsFormatException(string line)
    {
        Assert.Throws<FormatException>(() => DynamicConfigLine.Parse(line));
    }
}
