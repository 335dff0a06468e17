using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

[Trait("Category", "ZooKeeper")]
public sealed class SrvrParserTests
{
    [Fact]
    public void Parse_RealLeader_ReadsModeZxidAndCounters()
    {
        var report = SrvrParser.Parse(ProbeData.Read("leader.srvr.txt"));

        Assert.Equal("leader", report.Mode);
        Assert.Equal(0x1_0000_0000L, report.Zxid);
        Assert.Equal(5, report.NodeCount);
        Assert.Equal((1L, 0L, 1), (report.Received, report.Sent, report.Connections));
        Assert.StartsWith("3.8.0", report.Version);
        Assert.Equal("-1/-1/-1", report.Values["Proposal sizes last/min/max"]);
    }

    [Fact]
    public void Parse_RealFollowerAfterWrites_ReadsLatencyAndZxid()
    {
        var report = SrvrParser.Parse(ProbeData.Read("follower-after-writes.srvr.txt"));

        Assert.Equal("follower", report.Mode);
        Assert.Equal(0x1_0000_0003L, report.Zxid);
        Assert.Equal((2.0, 10.5, 25.0), (report.LatencyMin, report.LatencyAvg, report.LatencyMax));
        Assert.Equal(6, report.NodeCount);
    }

    [Fact]
    public void Parse_RealStat_SkipsTheClientList()
    {
        var report = SrvrParser.Parse(ProbeData.Read("leader.stat.txt"));

        Assert.Equal("leader", report.Mode);
        Assert.Equal(0x1_0000_0000L, report.Zxid);
    }

    [Fact]
    public void Parse_ReadOnlyServer_FlagsIt()
    {
        var report = SrvrParser.Parse("Zookeeper version: 3.8.0\nREAD-ONLY mode; serving only read-only clients\nZxid: 0x5\nMode: read-only\n");

        Assert.True(report.ReadOnly);
        Assert.Equal("read-only", report.Mode);
    }

    [Fact]
    public void Parse_NotServingAnswer_SaysTheMemberIsNotServing()
    {
        var e = Assert.Throws<FormatException>(() => SrvrParser.Parse(ProbeData.Read("looking.srvr.txt")));
        Assert.Contains("not serving", e.Message);
    }

    [Theory]
    [InlineData("Mode: leader\nZxid: 12\n", "Zxid")]
    [InlineData("Mode: leader\n", "Zxid")]
    [InlineData("Zxid: 0x1\n", "Mode")]
    [InlineData("Zxid: 0x1\nMode: leader\nLatency min/avg/max: 1/x/3\n", "Latency")]
    [InlineData("Zxid: 0x1\nMode: leader\nReceived: lots\n", "Received")]
    [InlineData("hello world\n", "line 1")]
    public void Parse_Garbage_NamesWhatIsWrong(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => SrvrParser.Parse(text));
        Assert.Contains(expected, e.Message);
    }
}
