using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

[Trait("Category", "ZooKeeper")]
public sealed class MntrParserTests
{
    [Fact]
    public void Parse_RealLeader_ReadsStateAndLeaderOnlyGauges()
    {
        var report = MntrParser.Parse(ProbeData.Read("leader.mntr.txt"));

        Assert.Equal("leader", report.ServerState);
        Assert.Equal("leading - broadcast", report.PeerState);
        Assert.StartsWith("3.8.0", report.Version);
        Assert.Equal(2, report.SyncedFollowers);
        Assert.Equal(3, report.Followers); // zk_learners: two followers and the observer
        Assert.Equal(1, report.SyncedObservers);
        Assert.Equal(3, report.QuorumSize);
        Assert.Equal(5, report.ZnodeCount);
        Assert.Equal(294, report.ApproximateDataSize);
        Assert.Equal(1, report.NumAliveConnections);
        Assert.True(report.Values.Count > 500, $"only {report.Values.Count} keys");
    }

    [Fact]
    public void Parse_RealFollowerAfterWrites_ReadsLatencyPacketsAndRequestCounts()
    {
        var report = MntrParser.Parse(ProbeData.Read("follower-after-writes.mntr.txt"));

        Assert.Equal("follower", report.ServerState);
        Assert.Equal((2.0, 10.5, 25.0), (report.MinLatency, report.AvgLatency, report.MaxLatency));
        Assert.Equal((12L, 13L), (report.PacketsReceived, report.PacketsSent));
        Assert.Equal(6, report.ZnodeCount);
        Assert.Equal(1, report.ReadRequests);
        Assert.Equal(3, report.WriteRequests);
        Assert.Null(report.SyncedFollowers);
        Assert.Null(report.Followers);
    }

    [Fact]
    public void Parse_RealObserver_ReadsObserverMaster()
    {
        var report = MntrParser.Parse(ProbeData.Read("observer.mntr.txt"));

        Assert.Equal("observer", report.ServerState);
        Assert.Equal("observing - broadcast", report.PeerState);
        Assert.Equal(3, report.ObserverMasterId);
    }

    [Fact]
    public void Parse_ReorderedLinesWithUnknownKeysAndCrLf_ReadsTheSameValues()
    {
        var text = "zk_brand_new_metric\tfancy value\r\nzk_znode_count\t42\r\nzk_server_state\tfollower\r\n"
            + "zk_avg_latency\t0.4286\nzk_followers\t2\nzk_version\t3.8.0\n\n";

        var report = MntrParser.Parse(text);

        Assert.Equal("follower", report.ServerState);
        Assert.Equal(42, report.ZnodeCount);
        Assert.Equal(0.4286, report.AvgLatency);
        Assert.Equal(2, report.Followers); // the pre-3.6 name
        Assert.Equal("fancy value", report.Values["zk_brand_new_metric"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("imok")]
    [InlineData("<html>hello</html>\n")]
    [InlineData("zk_server_state leader\n")] // space, not tab
    public void Parse_NoZkLines_ThrowsFormatException(string text)
    {
        var e = Assert.Throws<FormatException>(() => MntrParser.Parse(text));
        Assert.Contains("zk_", e.Message);
    }

    [Fact]
    public void Parse_NonNumericValueForNumericKey_NamesTheKeyAndLine()
    {
        var e = Assert.Throws<FormatException>(() => MntrParser.Parse("zk_server_state\tleader\nzk_znode_count\tmany\n"));

        Assert.Contains("line 2", e.Message);
        Assert.Contains("zk_znode_count", e.Message);
        Assert.Contains("many", e.Message);
    }

    [Fact]
    public void Parse_GarbageLineAmongValidOnes_NamesTheLine()
    {
        var e = Assert.Throws<FormatException>(() => MntrParser.Parse("zk_server_state\tleader\nsomething else\n"));

        Assert.Contains("line 2", e.Message);
        Assert.Contains("something else", e.Message);
    }

    [Fact]
    public void Parse_NoServerState_ThrowsFormatException()
    {
        var e = Assert.Throws<FormatException>(() => MntrParser.Parse("zk_znode_count\t5\n"));
        Assert.Contains("zk_server_state", e.Message);
    }

    [Fact]
    public void Parse_NotServingAnswer_SaysTheMemberIsNotServing()
    {
        var e = Assert.Throws<FormatException>(() => MntrParser.Parse(ProbeData.Read("looking.srvr.txt")));
        Assert.Contains("not serving", e.Message);
    }
}
