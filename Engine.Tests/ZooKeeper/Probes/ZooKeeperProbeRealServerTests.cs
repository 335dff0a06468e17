using System.Diagnostics;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Tests.Testing;
using QuorumPortal.Engine.Tests.ZooKeeper.Local;
using QuorumPortal.Engine.ZooKeeper.Client;
using QuorumPortal.Engine.ZooKeeper.Local;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary>The two probe paths against real members (3 participants + 1 observer, AdminServer on, tickTime 200).</summary>
[Trait("Category", "ZooKeeper")]
public sealed class ZooKeeperProbeRealServerTests(LocalEnsembleFixture ensemble) : IClassFixture<LocalEnsembleFixture>
{
    [ZooKeeperFact]
    public async Task ProbeAsync_RealMembers_AdminServerAndWordsGiveTheSameStatus()
    {
        Assert.True(ZooKeeperInstallation.Locate().HasAdminServer, "Debian's libservlet-api-java (a dependency of zookeeper) is missing");
        var healthy = await ensemble.HealthyAsync();
        var follower = healthy.Values.First(s => s.State == PeerState.Following).ServerId;

        // Writes through a follower, whose session stays open: zxid, latency, request counts and one client connection.
        var spec = ensemble.Supervisor.Member(follower).Spec;
        await using var session = await ZooKeeperClient.ConnectAsync($"{spec.Host}:{spec.ClientPort}", TimeSpan.FromSeconds(4));
        var path = await session.CreateAsync("/probe-paths-", "x"u8.ToArray(), CreateMode.PersistentSequential);
        await session.SetDataAsync(path, "y"u8.ToArray());
        await session.GetDataAsync(path);

        // Retried at once: a fresh Jetty on a loaded machine may miss the first request's 2 s timeout.
        var probe = new ZooKeeperProbe { AdminServerRetryInterval = TimeSpan.Zero };
        foreach (var member in ensemble.Supervisor.Members)
        {
            Assert.NotNull(member.AdminServer);
            var (viaAdmin, viaWords, after) = await QuietTripleAsync(probe, member);

            Assert.StartsWith("server_stats:\n", viaAdmin.Raw); // not a fallback to the words
            Assert.StartsWith("srvr:\n", viaWords.Raw);
            Assert.Null(viaAdmin.Error);
            Assert.Equal(Comparable(viaAdmin), Comparable(viaWords));
            Assert.Equal(member.ServerId == follower ? 1 : 0, viaWords.Connections);
            // The words' own packets are counted by the member: between the two AdminServer readings.
            Assert.InRange(viaWords.PacketsReceived, viaAdmin.PacketsReceived + 1, after.PacketsReceived);
            Assert.InRange(viaWords.PacketsSent, viaAdmin.PacketsSent, after.PacketsSent);
        }
    }

    [ZooKeeperFact]
    public async Task ProbeAsync_WithClients_OurSessionListedWithItsIdThroughBothPaths()
    {
        var healthy = await ensemble.HealthyAsync();
        var member = ensemble.Supervisor.Member(healthy.Values.First(s => s.State == PeerState.Following).ServerId);
        var spec = member.Spec;
        var opened = DateTimeOffset.UtcNow;
        await using var session = await ZooKeeperClient.ConnectAsync($"{spec.Host}:{spec.ClientPort}", TimeSpan.FromSeconds(4));
        await session.ExistsAsync("/zookeeper");
        var probe = new ZooKeeperProbe { AdminServerRetryInterval = TimeSpan.Zero };

        // Until both list our session alone: a session another test closed may still be going away.
        MemberStatus viaAdmin, viaWords;
        var deadline = Stopwatch.StartNew();
        do
        {
            viaAdmin = await probe.ProbeAsync(spec, member.AdminServer, ProbeDetail.Clients, CancellationToken.None);
            viaWords = await probe.ProbeAsync(spec, adminServer: null, ProbeDetail.Clients, CancellationToken.None);
            if (OnlyOurs(viaAdmin) && OnlyOurs(viaWords) && viaAdmin.Raw?.StartsWith("server_stats:", StringComparison.Ordinal) == true)
            {
                break;
            }

            await Task.Delay(100);
        }
        while (deadline.Elapsed < LocalEnsembleFixture.Patience);

        Assert.True(OnlyOurs(viaAdmin), $"AdminServer: {viaAdmin.ClientsError} {Describe(viaAdmin)}");
        Assert.True(OnlyOurs(viaWords), $"cons: {viaWords.ClientsError} {Describe(viaWords)}"); // the probe's own connection left out
        var (admin, word) = (viaAdmin.Clients![0], viaWords.Clients![0]);
        Assert.StartsWith("127.0.0.1:", word.Address, StringComparison.Ordinal);
        Assert.NotNull(word.LastOperation);
        Assert.InRange(word.Established!.Value, opened.AddSeconds(-2), DateTimeOffset.UtcNow.AddSeconds(2)); // the member's clock is ours
        Assert.InRange(word.SessionTimeout!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(4));
        Assert.True(word.Received >= 2 && word.Sent >= 2, $"connect and exists each way: {word}");
        Assert.Equal((admin.Address, admin.SessionId, admin.Established, admin.SessionTimeout), (word.Address, word.SessionId, word.Established, word.SessionTimeout));
        Assert.Equal(viaWords.Connections, viaWords.Clients!.Count);

        bool OnlyOurs(MemberStatus status) => status.Clients is [{ } only] && only.SessionId == session.SessionId;

        static string Describe(MemberStatus status) => string.Join("; ", status.Clients?.Select(c => c.ToString()) ?? []);
    }

    [ZooKeeperFact]
    public async Task RuokAsync_MemberWithoutQuorum_ImOkWhileConsSaysNotServing()
    {
        var before = await ensemble.HealthyAsync();
        var survivor = before.Values.First(s => s.State == PeerState.Following).ServerId;
        var spec = ensemble.Supervisor.Member(survivor).Spec;
        var probe = new ZooKeeperProbe();
        Assert.Equal(new Liveness(true, ZooKeeperProbe.ImOk), await probe.RuokAsync(spec, CancellationToken.None));

        await Task.WhenAll(new[] { 1, 2, 3 }.Where(id => id != survivor).Select(id => ensemble.Supervisor.Member(id).StopAsync(StopMode.Graceful, CancellationToken.None)));
        await ensemble.ProbeUntilAsync(s => s[survivor].State == PeerState.Looking, $"server.{survivor} looking");

        Assert.Equal(new Liveness(true, ZooKeeperProbe.ImOk), await probe.RuokAsync(spec, CancellationToken.None));
        Assert.True(FourLetterWordClient.IsNotServing(await new FourLetterWordClient().SendAsync(spec.Host, spec.ClientPort, "cons", CancellationToken.None)));
        var status = await probe.ProbeAsync(spec, ensemble.Supervisor.Member(survivor).AdminServer, ProbeDetail.Clients, CancellationToken.None);
        Assert.Equal((PeerState.Looking, true, null), (status.State, status.ProcessUp, status.Clients));
        Assert.Equal("the member is not serving requests", status.ClientsError);

        await ensemble.Supervisor.Member(survivor).StopAsync(StopMode.Kill, CancellationToken.None);
        var gone = await probe.RuokAsync(spec, CancellationToken.None);
        Assert.False(gone.Running);
        Assert.Contains("refused", gone.Detail, StringComparison.Ordinal);

        await ensemble.HealthyAsync();
    }

    // AdminServer, words, AdminServer again, until both AdminServer probes went through it (not the fallback) and
    // nothing but the words' packets changed in between (the session's pings change latency and read counts now and then).
    private static async Task<(MemberStatus ViaAdmin, MemberStatus ViaWords, MemberStatus After)> QuietTripleAsync(ZooKeeperProbe probe, LocalZooKeeperMember member)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var viaAdmin = await probe.ProbeAsync(member.Spec, member.AdminServer, CancellationToken.None);
            var viaWords = await probe.ProbeAsync(member.Spec, CancellationToken.None);
            var after = await probe.ProbeAsync(member.Spec, member.AdminServer, CancellationToken.None);
            var throughAdminServer = viaAdmin.Raw?.StartsWith("server_stats:", StringComparison.Ordinal) == true
                && after.Raw?.StartsWith("server_stats:", StringComparison.Ordinal) == true;
            if (throughAdminServer && Comparable(viaAdmin) == Comparable(after) || deadline.Elapsed > LocalEnsembleFixture.Patience)
            {
                return (viaAdmin, viaWords, after);
            }
        }
    }

    private static MemberStatus Comparable(MemberStatus status) =>
        status with { ProbedAt = default, Raw = null, PacketsReceived = 0, PacketsSent = 0 };
}
