using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary>The probe asked for client connections, over fake servers that answer with captured 3.8.0 text and JSON.</summary>
[Trait("Category", "ZooKeeper")]
public sealed class ZooKeeperProbeClientsTests
{
    // The captured leader's two sessions, behind the asking word's own connection as ZooKeeper lists it.
    private static readonly string Cons = " {peer}[0](queued=0,recved=1,sent=0)\n"
        + string.Join('\n', ProbeData.Read("leader-clients.cons.txt").Split('\n').Skip(1));

    private static Dictionary<string, string> Words(bool withCons = true)
    {
        var words = new Dictionary<string, string>
        {
            ["srvr"] = ProbeData.Read("leader.srvr.txt"),
            ["mntr"] = ProbeData.Read("leader.mntr.txt"),
            ["conf"] = ProbeData.Read("leader.conf.txt"),
        };
        if (withCons)
        {
            words["cons"] = Cons;
        }

        return words;
    }

    private static MemberSpec Leader(int port) => new() { ServerId = 3, ClientPort = port };

    [Fact]
    public async Task ProbeAsync_ClientsByWord_ListsTheSessionsWithoutTheProbesOwnConnection()
    {
        await using var server = new FakeFourLetterWordServer(Words());

        var status = await new ZooKeeperProbe().ProbeAsync(Leader(server.Port), null, ProbeDetail.Clients, CancellationToken.None);

        Assert.Equal(PeerState.Leading, status.State);
        Assert.Null(status.ClientsError);
        Assert.NotNull(status.Clients);
        Assert.Equal([0x30000c85bbf0000L, 0x30000c85bbf0001L], status.Clients.Select(c => c.SessionId!.Value));
        Assert.Equal(["srvr", "mntr", "conf", "cons"], server.Received);
    }

    [Fact]
    public async Task ProbeAsync_NoDetail_NeitherConsNorClients()
    {
        await using var server = new FakeFourLetterWordServer(Words());

        var status = await new ZooKeeperProbe().ProbeAsync(Leader(server.Port), null, ProbeDetail.None, CancellationToken.None);

        Assert.Null(status.Clients);
        Assert.Null(status.ClientsError);
        Assert.DoesNotContain("cons", server.Received);
    }

    [Fact]
    public async Task ProbeAsync_ConsNotWhitelisted_NoClientsAndTheWhitelistNamed()
    {
        await using var server = new FakeFourLetterWordServer(Words(withCons: false));

        var status = await new ZooKeeperProbe().ProbeAsync(Leader(server.Port), null, ProbeDetail.Clients, CancellationToken.None);

        Assert.Equal(PeerState.Leading, status.State); // the status itself is whole
        Assert.Null(status.Clients);
        Assert.Contains("'cons' is not in the member's 4lw.commands.whitelist", status.ClientsError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_ConsGarbage_NoClientsAndWhy()
    {
        var words = Words();
        words["cons"] = "Clients:\n";
        await using var server = new FakeFourLetterWordServer(words);

        var status = await new ZooKeeperProbe().ProbeAsync(Leader(server.Port), null, ProbeDetail.Clients, CancellationToken.None);

        Assert.Null(status.Clients);
        Assert.StartsWith($"127.0.0.1:{server.Port} gave a cons answer the probe cannot read: cons line 1 is not", status.ClientsError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_NotServing_NoConsAsked()
    {
        await using var server = new FakeFourLetterWordServer(new() { ["srvr"] = ProbeData.Read("looking.srvr.txt"), ["cons"] = ProbeData.Read("looking.cons.txt") });

        var status = await new ZooKeeperProbe().ProbeAsync(Leader(server.Port), null, ProbeDetail.Clients, CancellationToken.None);

        Assert.Equal(PeerState.Looking, status.State);
        Assert.Null(status.Clients);
        Assert.Equal("the member is not serving requests", status.ClientsError);
        Assert.Equal(["srvr"], server.Received);
    }

    [Fact]
    public async Task ProbeAsync_ClientsThroughAdminServer_SameListAsTheWord()
    {
        var answers = FakeAdminServer.Captured("leader");
        answers["connections"] = (200, ProbeData.Read("admin-leader-clients.connections.json"));
        await using var admin = new FakeAdminServer(answers);
        await using var words = new FakeFourLetterWordServer(Words());
        var probe = new ZooKeeperProbe();

        var viaAdmin = await probe.ProbeAsync(Leader(words.Port), admin.Commands, ProbeDetail.Clients, CancellationToken.None);
        var viaWord = await probe.ProbeAsync(Leader(words.Port), null, ProbeDetail.Clients, CancellationToken.None);

        Assert.Equal(["server_stats", "monitor", "connections"], admin.Received);
        Assert.Equal(["conf", "srvr", "mntr", "cons"], words.Received); // conf asked once, then cached
        Assert.NotNull(viaAdmin.Clients);
        Assert.Equal(viaWord.Clients, viaAdmin.Clients);
    }

    [Fact]
    public async Task ProbeAsync_AdminServerWithoutConnections_FallsBackToCons()
    {
        await using var admin = new FakeAdminServer(FakeAdminServer.Captured("leader")); // 404 to connections
        await using var words = new FakeFourLetterWordServer(Words());

        var status = await new ZooKeeperProbe().ProbeAsync(Leader(words.Port), admin.Commands, ProbeDetail.Clients, CancellationToken.None);

        Assert.Equal(2, status.Clients?.Count);
        Assert.Equal(["server_stats", "monitor", "connections"], admin.Received);
        Assert.Equal(["conf", "cons"], words.Received);
    }
}
