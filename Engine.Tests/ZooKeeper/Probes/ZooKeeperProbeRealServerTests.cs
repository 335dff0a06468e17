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
