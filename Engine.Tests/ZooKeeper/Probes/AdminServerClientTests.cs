using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

[Trait("Category", "ZooKeeper")]
public sealed class AdminServerClientTests
{
    [Fact]
    public async Task GetAsync_SeveralCommands_ShareOneKeptAliveConnection()
    {
        await using var server = new FakeAdminServer(FakeAdminServer.Captured("leader"));
        using var client = new AdminServerClient();

        var first = await client.GetAsync(server.Commands, "server_stats", CancellationToken.None);
        var second = await client.GetAsync(server.Commands, "monitor", CancellationToken.None);
        await client.GetAsync(server.Commands, "server_stats", CancellationToken.None);

        Assert.Equal(ProbeData.Read("admin-leader.server_stats.json"), first);
        Assert.Equal(ProbeData.Read("admin-leader.monitor.json"), second);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task GetAsync_HttpError_ThrowsWithTheStatus()
    {
        await using var server = new FakeAdminServer(new() { ["monitor"] = (500, "<html>NullPointerException</html>") });
        using var client = new AdminServerClient();

        var e = await Assert.ThrowsAsync<AdminServerException>(() => client.GetAsync(server.Commands, "monitor", CancellationToken.None));

        Assert.Equal(AdminServerFailure.HttpStatus, e.Failure);
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, e.Status);
        Assert.Contains("HTTP 500", e.Message);
    }

    [Fact]
    public async Task GetAsync_NothingListening_ThrowsRefusedNamingTheUrl()
    {
        var port = ZooKeeperProbeTests.ClosedPort();
        using var client = new AdminServerClient();

        var e = await Assert.ThrowsAsync<AdminServerException>(
            () => client.GetAsync(AdminServerClient.CommandsUrl("127.0.0.1", port), "monitor", CancellationToken.None));

        Assert.Equal(AdminServerFailure.ConnectionRefused, e.Failure);
        Assert.Contains($"127.0.0.1:{port}/commands/monitor", e.Message);
    }

    [Fact]
    public async Task GetAsync_ServerNeverAnswers_ThrowsTimedOut()
    {
        await using var server = new FakeFourLetterWordServer([], hang: true); // accepts and never answers
        using var client = new AdminServerClient { Timeout = TimeSpan.FromMilliseconds(200) };

        var e = await Assert.ThrowsAsync<AdminServerException>(
            () => client.GetAsync(AdminServerClient.CommandsUrl("127.0.0.1", server.Port), "monitor", CancellationToken.None));

        Assert.Equal(AdminServerFailure.TimedOut, e.Failure);
        Assert.Contains("200 ms", e.Message);
    }
}
