using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Tests.Testing;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary>The probe through an AdminServer, with answers captured from a real 3.8.0 member (see AdminServerParserTests).</summary>
[Trait("Category", "ZooKeeper")]
public sealed class ZooKeeperProbeAdminServerTests
{
    // The client port of the captured leader (server 3): conf for the role and config version, srvr and mntr taken
    // right after the AdminServer's answers.
    private static Dictionary<string, string> Words(string role, string conf) => new()
    {
        ["srvr"] = ProbeData.Read($"admin-{role}.srvr.txt"),
        ["mntr"] = ProbeData.Read($"admin-{role}.mntr.txt"),
        ["conf"] = ProbeData.Read(conf),
    };

    private static MemberSpec Member(int id, int port) => new() { ServerId = id, ClientPort = port };

    [Fact]
    public async Task ProbeAsync_AdminServerAnswers_ReadsItAndAsksTheClientPortOnlyForConf()
    {
        await using var admin = new FakeAdminServer(FakeAdminServer.Captured("leader"));
        await using var words = new FakeFourLetterWordServer(Words("leader", "leader.conf.txt"));

        var status = await new ZooKeeperProbe().ProbeAsync(Member(3, words.Port), admin.Commands, CancellationToken.None);

        Assert.Equal((PeerState.Leading, ZabPhase.Broadcast, 3), (status.State, status.Phase, status.LeaderId));
        Assert.Equal((1L, 0x1_0000_0003L, 0x1_0000_0000L), (status.Epoch, status.LastZxid, status.ConfigVersion));
        Assert.Equal((2, 6L), (status.SyncedFollowers, status.ZnodeCount));
        Assert.Null(status.Error);
        Assert.StartsWith("server_stats:\n", status.Raw);
        Assert.Contains("\nmonitor:\n", status.Raw);
        Assert.Equal(["server_stats", "monitor"], admin.Received);
        Assert.Equal(["conf"], words.Received);
    }

    [Theory]
    [InlineData("leader", 3, "leader.conf.txt")]
    [InlineData("follower-after-writes", 1, "follower.conf.txt")]
    [InlineData("observer", 4, "observer.conf.txt")]
    public async Task ProbeAsync_SameMomentThroughBothPaths_GivesTheSameStatus(string role, int serverId, string conf)
    {
        await using var admin = new FakeAdminServer(FakeAdminServer.Captured(role));
        await using var words = new FakeFourLetterWordServer(Words(role, conf));
        var probe = new ZooKeeperProbe();

        var viaAdmin = await probe.ProbeAsync(Member(serverId, words.Port), admin.Commands, CancellationToken.None);
        var viaWords = await probe.ProbeAsync(Member(serverId, words.Port), CancellationToken.None);

        Assert.Null(viaAdmin.Error);
        Assert.StartsWith("srvr:\n", viaWords.Raw);
        // The packet counters include the words themselves (one in, one out each): the only difference.
        Assert.Equal(viaAdmin with { ProbedAt = default, Raw = null, PacketsReceived = 0, PacketsSent = 0 },
            viaWords with { ProbedAt = default, Raw = null, PacketsReceived = 0, PacketsSent = 0 });
        Assert.InRange(viaWords.PacketsReceived - viaAdmin.PacketsReceived, 1, 2);
    }

    [Fact]
    public async Task ProbeAsync_AdminServerDoesNotAnswer_FallsBackToWordsAndRetriesItLater()
    {
        await using var admin = new FakeAdminServer([]); // 404 to everything: not ZooKeeper's AdminServer
        await using var words = new FakeFourLetterWordServer(Words("leader", "leader.conf.txt"));
        var time = new ManualTimeProvider();
        var probe = new ZooKeeperProbe(new FourLetterWordClient(), AdminServerClient.Shared, time) { AdminServerRetryInterval = TimeSpan.FromSeconds(30) };

        var first = await probe.ProbeAsync(Member(3, words.Port), admin.Commands, CancellationToken.None);
        var second = await probe.ProbeAsync(Member(3, words.Port), admin.Commands, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(31));
        await probe.ProbeAsync(Member(3, words.Port), admin.Commands, CancellationToken.None);

        Assert.Equal((PeerState.Leading, PeerState.Leading), (first.State, second.State));
        Assert.StartsWith("srvr:\n", first.Raw);
        Assert.Equal(["server_stats", "server_stats"], admin.Received); // not asked again within the 30 s
        Assert.Equal(3, words.Received.Count(w => w == "srvr"));
    }

    [Fact]
    public async Task ProbeAsync_NothingListensOnEitherPort_ReportsDownFromTheWords()
    {
        var status = await new ZooKeeperProbe().ProbeAsync(
            Member(2, ZooKeeperProbeTests.ClosedPort()), AdminServerClient.CommandsUrl("127.0.0.1", ZooKeeperProbeTests.ClosedPort()), CancellationToken.None);

        Assert.Equal(PeerState.Down, status.State);
        Assert.Contains("srvr to 127.0.0.1", status.Error);
        Assert.Contains("refused", status.Error);
    }

    [Fact]
    public async Task ProbeAsync_AdminServerSaysNotServing_ReportsLooking()
    {
        await using var admin = new FakeAdminServer(new() { ["server_stats"] = (200, ProbeData.Read("admin-looking.server_stats.json")) });
        await using var words = new FakeFourLetterWordServer([]);

        var status = await new ZooKeeperProbe().ProbeAsync(Member(1, words.Port), admin.Commands, CancellationToken.None);

        Assert.Equal((PeerState.Looking, ZabPhase.Election), (status.State, status.Phase));
        Assert.Null(status.Error);
        Assert.Contains("not currently serving", status.Raw);
        Assert.Empty(words.Received);
    }

    [Fact]
    public async Task ProbeAsync_MonitorFailsAfterServerStats_AsksTheWords()
    {
        // 3.8 answers monitor with HTTP 500 once the member has lost its quorum; srvr then says so.
        await using var admin = new FakeAdminServer(new()
        {
            ["server_stats"] = (200, ProbeData.Read("admin-leader.server_stats.json")),
            ["monitor"] = (500, "<html>NullPointerException</html>"),
        });
        await using var words = new FakeFourLetterWordServer(new() { ["srvr"] = ProbeData.Read("looking.srvr.txt") });

        var status = await new ZooKeeperProbe().ProbeAsync(Member(3, words.Port), admin.Commands, CancellationToken.None);

        Assert.Equal(PeerState.Looking, status.State);
        Assert.Equal(["srvr"], words.Received);
    }

    [Fact]
    public async Task ProbeAsync_FourLetterWords_LeavesItsOwnConnectionOut()
    {
        await using var words = new FakeFourLetterWordServer(Words("leader", "leader.conf.txt"));

        var status = await new ZooKeeperProbe().ProbeAsync(Member(3, words.Port), CancellationToken.None);

        Assert.Equal(1, MntrParser.Parse(ProbeData.Read("admin-leader.mntr.txt")).NumAliveConnections);
        Assert.Equal(0, status.Connections);
    }
}
