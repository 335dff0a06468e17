using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary><c>ruok</c>, alone and where the probe asks it after <c>srvr</c> failed; answers captured from a real 3.8.0 member.</summary>
[Trait("Category", "ZooKeeper")]
public sealed class ZooKeeperProbeLivenessTests
{
    private static MemberSpec Member(int port) => new() { ServerId = 2, ClientPort = port };

    [Theory]
    [InlineData("leader.ruok.txt")]
    [InlineData("looking.ruok.txt")] // no quorum: srvr, cons, mntr say "not currently serving", ruok still imok
    public async Task RuokAsync_RealAnswer_Running(string captured)
    {
        await using var server = new FakeFourLetterWordServer(new() { ["ruok"] = ProbeData.Read(captured) });

        var liveness = await new ZooKeeperProbe().RuokAsync(Member(server.Port), CancellationToken.None);

        Assert.Equal(new Liveness(true, "imok"), liveness);
    }

    [Fact]
    public async Task RuokAsync_NotWhitelisted_RunningBecauseZooKeeperAnswered()
    {
        await using var server = new FakeFourLetterWordServer([]); // refuses every word as not whitelisted

        var liveness = await new ZooKeeperProbe().RuokAsync(Member(server.Port), CancellationToken.None);

        Assert.True(liveness.Running);
        Assert.Contains("4lw.commands.whitelist", liveness.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RuokAsync_NothingListening_NotRunningSayingRefused()
    {
        var liveness = await new ZooKeeperProbe().RuokAsync(Member(ZooKeeperProbeTests.ClosedPort()), CancellationToken.None);

        Assert.False(liveness.Running);
        Assert.Contains("refused", liveness.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RuokAsync_SomethingElseAnswers_NotRunningQuotingIt()
    {
        await using var server = new FakeFourLetterWordServer(new() { ["ruok"] = "HTTP/1.1 400 Bad Request\r\n" });

        var liveness = await new ZooKeeperProbe().RuokAsync(Member(server.Port), CancellationToken.None);

        Assert.False(liveness.Running);
        Assert.Contains("answered ruok with \"HTTP/1.1 400 Bad Request\", not imok", liveness.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_SrvrUnreadableButRuokImok_DownWithProcessUp()
    {
        await using var server = new FakeFourLetterWordServer(new() { ["srvr"] = "Mode leader\n", ["ruok"] = "imok" });

        var status = await new ZooKeeperProbe().ProbeAsync(Member(server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Down, status.State);
        Assert.True(status.ProcessUp);
        Assert.Contains("cannot read", status.Error, StringComparison.Ordinal);
        Assert.EndsWith("its process runs (it answered ruok)", status.Error, StringComparison.Ordinal);
        Assert.Equal(["srvr", "ruok"], server.Received);
    }

    [Fact]
    public async Task ProbeAsync_SrvrAndRuokBothNotZooKeeper_DownAndNotUp()
    {
        await using var server = new FakeFourLetterWordServer(new() { ["srvr"] = "SSH-2.0-OpenSSH_9.2\n", ["ruok"] = "SSH-2.0-OpenSSH_9.2\n" });

        var status = await new ZooKeeperProbe().ProbeAsync(Member(server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Down, status.State);
        Assert.False(status.ProcessUp);
        Assert.DoesNotContain("process runs", status.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_SrvrTimesOut_NoRuokAfterIt()
    {
        // ruok would answer: had the probe asked it, the member would be reported up.
        await using var server = new FakeFourLetterWordServer(new() { ["ruok"] = "imok" }, hangOn: "srvr");
        var probe = new ZooKeeperProbe(new FourLetterWordClient { Timeout = TimeSpan.FromMilliseconds(200) }, TimeProvider.System);

        var status = await probe.ProbeAsync(Member(server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Down, status.State);
        Assert.Contains("no complete answer within 200 ms", status.Error, StringComparison.Ordinal);
        Assert.False(status.ProcessUp);
    }

    [Fact]
    public async Task ProbeAsync_NotServing_LookingAndUpWithoutRuok()
    {
        await using var server = new FakeFourLetterWordServer(new() { ["srvr"] = ProbeData.Read("looking.srvr.txt"), ["ruok"] = "imok" });

        var status = await new ZooKeeperProbe().ProbeAsync(Member(server.Port), CancellationToken.None);

        Assert.Equal(PeerState.Looking, status.State);
        Assert.True(status.ProcessUp);
        Assert.Equal(["srvr"], server.Received);
    }
}
