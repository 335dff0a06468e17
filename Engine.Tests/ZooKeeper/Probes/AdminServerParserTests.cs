using System.Text;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary>
/// JSON captured from a real 3.8.0 AdminServer (3 participants + 1 observer, tickTime 200), each file with the
/// four-letter word answer taken right after it (admin-*.srvr.txt, admin-*.mntr.txt).
/// </summary>
[Trait("Category", "ZooKeeper")]
public sealed class AdminServerParserTests
{
    [Fact]
    public void ParseServerStats_RealFollowerAfterWrites_ReadsModeZxidLatencyAndNodeCount()
    {
        var report = AdminServerParser.ParseServerStats(ProbeData.Read("admin-follower-after-writes.server_stats.json"));

        Assert.Equal("follower", report.Mode);
        Assert.Equal(0x1_0000_0003L, report.Zxid);
        Assert.Equal((2.0, 7.0, 13.0), (report.LatencyMin, report.LatencyAvg, report.LatencyMax));
        Assert.Equal(6, report.NodeCount);
        Assert.Equal(0, report.Connections);
        Assert.StartsWith("3.8.0", report.Version);
        Assert.False(report.ReadOnly);
        Assert.Equal("67109581", AdminServerParser.ParseServerStats(ProbeData.Read("admin-leader.server_stats.json")).Values["server_stats.data_dir_size"]);
    }

    [Theory]
    [InlineData("leader")]
    [InlineData("follower-after-writes")]
    [InlineData("observer")]
    public void ParseServerStats_RealServer_AgreesWithItsSrvrWord(string role)
    {
        var admin = AdminServerParser.ParseServerStats(ProbeData.Read($"admin-{role}.server_stats.json"));
        var word = SrvrParser.Parse(ProbeData.Read($"admin-{role}.srvr.txt"));

        Assert.Equal((word.Version, word.Mode, word.Zxid, word.NodeCount, word.Outstanding, word.ReadOnly),
            (admin.Version, admin.Mode, admin.Zxid, admin.NodeCount, admin.Outstanding, admin.ReadOnly));
        Assert.Equal((word.LatencyMin, word.LatencyAvg, word.LatencyMax), (admin.LatencyMin, admin.LatencyAvg, admin.LatencyMax));
        // The word was a client connection of its own, with one packet in.
        Assert.Equal(admin.Connections + 1, word.Connections);
        Assert.Equal(admin.Received + 1, word.Received);
    }

    [Theory]
    [InlineData("leader")]
    [InlineData("follower-after-writes")]
    [InlineData("observer")]
    public void ParseMonitor_RealServer_AgreesWithItsMntrWord(string role)
    {
        var admin = AdminServerParser.ParseMonitor(ProbeData.Read($"admin-{role}.monitor.json"));
        var word = MntrParser.Parse(ProbeData.Read($"admin-{role}.mntr.txt"));

        // Everything but what the words themselves changed: their connections and packets.
        Assert.Equal(word with { NumAliveConnections = 0, PacketsReceived = 0, PacketsSent = 0, Uptime = 0, Source = default, SourceIsJson = false },
            admin with { NumAliveConnections = 0, PacketsReceived = 0, PacketsSent = 0, Uptime = 0, Source = default, SourceIsJson = false });
        Assert.Equal(admin.NumAliveConnections + 1, word.NumAliveConnections);
        Assert.Equal(word.Values.Keys.Order(), admin.Values.Keys.Order());
    }

    [Fact]
    public void ParseMonitor_RealLeader_ReadsStateAndLeaderOnlyGauges()
    {
        var report = AdminServerParser.ParseMonitor(ProbeData.Read("admin-leader.monitor.json"));

        Assert.Equal("leader", report.ServerState);
        Assert.Equal("leading - broadcast", report.PeerState);
        Assert.Equal((2, 3, 1, 3), (report.SyncedFollowers, report.Followers, report.SyncedObservers, report.QuorumSize));
        Assert.Equal(6, report.ZnodeCount);
        Assert.Equal("leader", report.Values["zk_server_state"]);
        Assert.Equal("0.0", report.Values["zk_avg_latency"]);
        Assert.DoesNotContain("zk_command", report.Values.Keys);
    }

    [Fact]
    public void ParseMonitor_RealObserver_ReadsObserverMaster()
    {
        var report = AdminServerParser.ParseMonitor(ProbeData.Read("admin-observer.monitor.json"));

        Assert.Equal("observer", report.ServerState);
        Assert.Equal(3, report.ObserverMasterId);
    }

    [Fact]
    public void ParseMonitor_ReorderedFieldsUnknownOnesAndNesting_ReadsTheSameValues()
    {
        var json = """{"brand_new":{"nested":[1,2,{"x":null}]},"znode_count":42,"error":null,"flag":true,"server_state":"follower","avg_latency":0.4286,"followers":2,"version":"3.9.0"}""";

        var report = AdminServerParser.ParseMonitor(json);

        Assert.Equal(("follower", 42L, 0.4286, 2, "3.9.0"), (report.ServerState, report.ZnodeCount, report.AvgLatency, report.Followers, report.Version));
        Assert.Equal("""[1,2,{"x":null}]""", report.Values["zk_brand_new.nested"]);
    }

    [Fact]
    public void IsNotServing_RealLookingMember_True()
    {
        var looking = Encoding.UTF8.GetBytes(ProbeData.Read("admin-looking.server_stats.json"));

        Assert.True(AdminServerParser.IsNotServing(looking));
        Assert.False(AdminServerParser.IsNotServing(Encoding.UTF8.GetBytes(ProbeData.Read("admin-leader.server_stats.json"))));
        var e = Assert.Throws<FormatException>(() => AdminServerParser.ParseServerStats(looking));
        Assert.Contains("not serving", e.Message);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("<html><title>Error 500</title></html>", "not valid JSON")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("""{"command":"monitor","error":"Unknown command: monitor"}""", "Unknown command: monitor")]
    [InlineData("""{"server_state":"leader","znode_count":"many"}""", "znode_count")]
    [InlineData("""{"znode_count":5}""", "server_state")]
    [InlineData("""{"server_state":"leader","avg_latency":""", "not valid JSON")]
    public void ParseMonitor_Garbage_NamesWhatIsWrong(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => AdminServerParser.ParseMonitor(json));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("""{"server_stats":{"server_state":"leader"}}""", "last_processed_zxid")]
    [InlineData("""{"server_stats":{"last_processed_zxid":5}}""", "server_state")]
    [InlineData("""{"server_stats":{"server_state":"leader","last_processed_zxid":"0x5"}}""", "last_processed_zxid must be an integer")]
    [InlineData("""{"server_stats":7}""", "server_stats must be")]
    [InlineData("""{"command":"server_stats","error":"Unknown command: server_stats"}""", "Unknown command")]
    public void ParseServerStats_Garbage_NamesWhatIsWrong(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => AdminServerParser.ParseServerStats(json));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("leader")]
    [InlineData("follower")]
    public void ParseConnections_RealMemberWithSessions_SameAsItsConsWordWithoutTheWordsConnection(string role)
    {
        // Each JSON was taken right after the cons word; no session had a request in between.
        var admin = AdminServerParser.ParseConnections(ProbeData.Read($"admin-{role}-clients.connections.json"));
        var word = ConsParser.Parse(ProbeData.Read($"{role}-clients.cons.txt"));

        Assert.NotEmpty(admin);
        Assert.Equal(word.Where(c => c.SessionId is not null), admin);
    }

    [Fact]
    public void ParseConnections_RealLookingMember_ThrowsNotServing()
    {
        var e = Assert.Throws<FormatException>(() => AdminServerParser.ParseConnections(ProbeData.Read("admin-looking.connections.json")));

        Assert.Equal("AdminServer connections: the member is not serving requests (\"This ZooKeeper instance is not currently serving requests\")", e.Message);
    }

    [Fact]
    public void ParseConnections_NoSessionAndNoneYetValues_ReadAsConsPrintsThem()
    {
        const string json = """
            {"connections":[{"remote_socket_address":"127.0.0.1:5","interest_ops":0,"outstanding_requests":0,"packets_received":1,
              "packets_sent":0,"session_id":0,"last_operation":"NA","established":1795648571342,"session_timeout":0,"last_cxid":-1,
              "last_zxid":-1,"last_response_time":0,"last_latency":0,"min_latency":0,"avg_latency":0,"max_latency":0}],
             "secure_connections":[{"remote_socket_address":"[0:0:0:0:0:0:0:1]:6","packets_sent":3,"packets_received":4,"session_id":7,
              "last_cxid":-1,"last_zxid":-1,"added_in_a_later_version":{"x":1}}],
             "command":"connections","error":null}
            """;

        var connections = AdminServerParser.ParseConnections(json);

        Assert.Equal(ConsParser.Parse(" /127.0.0.1:5[0](queued=0,recved=1,sent=0)"), connections.Take(1));
        Assert.Equal(new ClientConnection { Address = "[0:0:0:0:0:0:0:1]:6", Received = 4, Sent = 3, SessionId = 7, Secure = true }, connections[1]);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[1]", "not a JSON object")]
    [InlineData("""{"command":"connections","error":"Unknown command: connections"}""", "the AdminServer answered an error: \"Unknown command: connections\"")]
    [InlineData("""{"command":"connections","error":null}""", "no connections array")]
    [InlineData("""{"connections":[7]}""", "connections[0] is not an object")]
    [InlineData("""{"connections":[{"packets_received":1,"packets_sent":"x"}]}""", "connections[0]: packets_sent must be an integer")]
    [InlineData("""{"connections":[{"packets_received":1}]}""", "connections[0] has no packets_sent")]
    [InlineData("""{"connections":[{"remote_socket_address":"nowhere","packets_received":1,"packets_sent":1}]}""", "remote_socket_address is not ip:port (was \"nowhere\")")]
    public void ParseConnections_Garbage_NamesWhatIsWrong(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => AdminServerParser.ParseConnections(json));
        Assert.Contains(expected, e.Message);
    }
}
