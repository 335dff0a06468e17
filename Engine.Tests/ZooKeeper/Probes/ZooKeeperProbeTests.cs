using System.Net;
using System.Net.Sockets;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

[Trait("Category", "ZooKeeper")]
public sealed class ZooKeeperProbeTests
{
    private static Dictionary<string, string> Captured(string role) => new()
    {
        ["srvr"] = ProbeData.Read($"{role}.srvr.txt"),
        ["mntr"] = ProbeData.Read($"{role}.mntr.txt"),
        ["conf"] = ProbeData.Read($"{role}.conf.txt"),
    };

    private static MemberSpec Member(int id, int port, MemberRole role = MemberRole.Participant) =>
        new() { ServerId = id, ClientPort = port, Role = role };

    [Fact]
    public async Task ProbeAsync_CapturedLeader_ReportsLeadingWithEpochAndSyncedFollowers()
    {
        await using var server = new FakeFourLetterWordServer(Captured("leader"));

        var status = await new ZooKeeperProbe().ProbeAsync(Member(3, server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Leading, status.State);
        Assert.Equal(ZabPhase.Broadcast, status.Phase);
        Assert.Equal(3, status.LeaderId);
        Assert.Equal(1, status.Epoch);
        Assert.Equal(0x1_0000_0000L, status.LastZxid);
        Assert.Equal(0x1_0000_0000L, status.ConfigVersion);
        Assert.Equal(2, status.SyncedFollowers);
        Assert.Equal(5, status.ZnodeCount);
        Assert.Null(status.Error);
        Assert.Contains("Mode: leader", status.Raw);
        Assert.Contains("zk_server_state\tleader", status.Raw);
    }

    [Fact]
    public async Task ProbeAsync_CapturedFollowerAfterWrites_ReportsFollowingWithCounters()
    {
        var answers = Captured("follower");
        answers["srvr"] = ProbeData.Read("follower-after-writes.srvr.txt");
        answers["mntr"] = ProbeData.Read("follower-after-writes.mntr.txt");
        await using var server = new FakeFourLetterWordServer(answers);

        var status = await new ZooKeeperProbe().ProbeAsync(Member(1, server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Following, status.State);
        Assert.Null(status.LeaderId);
        Assert.Equal((1L, 0x1_0000_0003L), (status.Epoch, status.LastZxid));
        Assert.Equal((2.0, 10.5, 25.0), (status.LatencyMin, status.LatencyAvg, status.LatencyMax));
        Assert.Equal((12L, 13L), (status.PacketsReceived, status.PacketsSent));
        Assert.Equal((1L, 3L), (status.ReadsServed, status.WritesServed));
        Assert.Null(status.SyncedFollowers);
    }

    [Fact]
    public async Task ProbeAsync_CapturedObserver_ReportsObservingAndItsMaster()
    {
        await using var server = new FakeFourLetterWordServer(Captured("observer"));

        var status = await new ZooKeeperProbe().ProbeAsync(Member(4, server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Observing, status.State);
        Assert.Equal(MemberRole.Observer, status.Role);
        Assert.Equal(3, status.LeaderId);
    }

    [Fact]
    public async Task ProbeAsync_NotServing_ReportsLooking()
    {
        await using var server = new FakeFourLetterWordServer(new() { ["srvr"] = ProbeData.Read("looking.srvr.txt") });

        var status = await new ZooKeeperProbe().ProbeAsync(Member(1, server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Looking, status.State);
        Assert.Equal(ZabPhase.Election, status.Phase);
        Assert.Null(status.Error);
        Assert.Contains("not currently serving", status.Raw);
    }

    [Fact]
    public async Task ProbeAsync_OnlySrvrWhitelisted_ReportsFromSrvrAlone()
    {
        await using var server = new FakeFourLetterWordServer(new() { ["srvr"] = ProbeData.Read("leader.srvr.txt") });

        var status = await new ZooKeeperProbe().ProbeAsync(Member(3, server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Leading, status.State);
        Assert.Equal(5, status.ZnodeCount);
        Assert.Null(status.ReadsServed);
        Assert.Equal(["conf", "mntr", "srvr"], server.Received.Order());
    }

    [Fact]
    public async Task ProbeAsync_SecondProbeSameModeAndEpoch_ReusesConf()
    {
        await using var server = new FakeFourLetterWordServer(Captured("leader"));
        var probe = new ZooKeeperProbe();

        var first = await probe.ProbeAsync(Member(3, server.Port), CancellationToken.None);
        var second = await probe.ProbeAsync(Member(3, server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Leading, second.State);
        Assert.Equal(first.ConfigVersion, second.ConfigVersion);
        Assert.Equal(1, server.Received.Count(w => w == "conf"));
        Assert.Contains("conf (cached):", second.Raw);
    }

    [Fact]
    public async Task ProbeAsync_PortAnsweredByAnotherServerId_ReportsDownNamingBoth()
    {
        await using var server = new FakeFourLetterWordServer(Captured("leader"));

        var status = await new ZooKeeperProbe().ProbeAsync(Member(1, server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Down, status.State);
        Assert.Contains("server id 3, not 1", status.Error);
    }

    [Fact]
    public async Task ProbeAsync_NothingListening_ReportsDownWithRefused()
    {
        var status = await new ZooKeeperProbe().ProbeAsync(Member(2, ClosedPort()), CancellationToken.None);

        Assert.Equal(PeerState.Down, status.State);
        Assert.Contains("refused", status.Error);
    }

    [Fact]
    public async Task ProbeAsync_GarbageAnswer_ReportsDownSayingWhy()
    {
        await using var server = new FakeFourLetterWordServer(new() { ["srvr"] = "HTTP/1.1 400 Bad Request\n" });

        var status = await new ZooKeeperProbe().ProbeAsync(Member(2, server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Down, status.State);
        Assert.Contains("cannot read", status.Error);
    }

    internal static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[Trait("Category", "ZooKeeper")]
public sealed class FourLetterWordClientTests
{
    [Fact]
    public async Task SendAsync_Answer_ReturnsEverythingUntilClose()
    {
        await using var server = new FakeFourLetterWordServer(new() { ["mntr"] = ProbeData.Read("leader.mntr.txt") });

        var answer = await new FourLetterWordClient().SendAsync("127.0.0.1", server.Port, "mntr", CancellationToken.None);

        Assert.Equal(ProbeData.Read("leader.mntr.txt"), answer);
    }

    [Fact]
    public async Task SendAsync_NotWhitelisted_ThrowsNamingTheWhitelist()
    {
        await using var server = new FakeFourLetterWordServer(new() { ["envi"] = ProbeData.Read("not-whitelisted.envi.txt") });

        var e = await Assert.ThrowsAsync<FourLetterWordException>(
            () => new FourLetterWordClient().SendAsync("127.0.0.1", server.Port, "envi", CancellationToken.None));

        Assert.Equal(FourLetterWordFailure.NotWhitelisted, e.Failure);
        Assert.Contains("4lw.commands.whitelist", e.Message);
    }

    [Fact]
    public async Task SendAsync_NothingListening_ThrowsRefused()
    {
        var port = ZooKeeperProbeTests.ClosedPort();

        var e = await Assert.ThrowsAsync<FourLetterWordException>(
            () => new FourLetterWordClient().SendAsync("127.0.0.1", port, "srvr", CancellationToken.None));

        Assert.Equal(FourLetterWordFailure.ConnectionRefused, e.Failure);
        Assert.Contains($"127.0.0.1:{port}", e.Message);
    }

    [Fact]
    public async Task SendAsync_ServerNeverAnswers_ThrowsTimedOut()
    {
        await using var server = new FakeFourLetterWordServer([], hang: true);
        var client = new FourLetterWordClient { Timeout = TimeSpan.FromMilliseconds(200) };

        var e = await Assert.ThrowsAsync<FourLetterWordException>(
            () => client.SendAsync("127.0.0.1", server.Port, "srvr", CancellationToken.None));

        Assert.Equal(FourLetterWordFailure.TimedOut, e.Failure);
        Assert.Contains("200 ms", e.Message);
    }

    [Fact]
    public async Task SendAsync_CallerCancels_ThrowsOperationCanceled()
    {
        await using var server = new FakeFourLetterWordServer([], hang: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new FourLetterWordClient().SendAsync("127.0.0.1", server.Port, "srvr", cts.Token));
    }

    [Fact]
    public async Task SendAsync_NotAFourLetterWord_ThrowsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>(
            () => new FourLetterWordClient().SendAsync("127.0.0.1", 1, "STAT", CancellationToken.None));
    }
}
