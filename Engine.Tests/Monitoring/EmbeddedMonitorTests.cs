using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Tests.Testing;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Monitoring;

/// <summary>The monitor on the real embedded backend: the events an operator would see.</summary>
public sealed class EmbeddedMonitorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Monitor_LeaderKilled_LeaderLostThenLeaderElectedWithAnotherLeader()
    {
        await using var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("watched", 3, new EnsembleSettings { TickTime = 100 }));
        await ensemble.StartAsync(CancellationToken.None);
        await using var monitor = new EnsembleMonitor(ensemble, new EnsembleMonitorOptions { ProbeInterval = TimeSpan.FromMilliseconds(50) },
            TimeProvider.System, NullLogger<EnsembleMonitor>.Instance);
        await using var events = new EventCollector(monitor.Events.Subscribe(CancellationToken.None));
        await monitor.StartAsync(CancellationToken.None);

        var first = (await events.WaitForAsync(seen => seen.OfType<LeaderElected>().Any())).OfType<LeaderElected>().First();
        var mark = events.Count;
        await ensemble.StopMemberAsync(first.NewLeaderId, StopMode.Kill, CancellationToken.None);
        var after = await events.WaitForAsync(seen => seen.OfType<LeaderElected>().Any(), mark);

        var lost = after.OfType<LeaderLost>().First();
        var elected = after.OfType<LeaderElected>().First();
        output.WriteLine($"leader {lost.OldLeaderId} lost; leader {elected.NewLeaderId} elected in epoch {elected.Epoch} after {elected.LeaderlessFor?.TotalMilliseconds} ms without a leader");
        Assert.Equal(first.NewLeaderId, lost.OldLeaderId);
        Assert.NotEqual(first.NewLeaderId, elected.NewLeaderId);
        Assert.True(after.IndexOf(lost) < after.IndexOf(elected));
        Assert.True(elected.Epoch > first.Epoch);
        Assert.Contains(after.OfType<PeerStateChanged>(), e => e.ServerId == first.NewLeaderId && e.NewState == PeerState.Down);
    }

    [Fact]
    public async Task Monitor_WritesFlow_ThroughputSampleCountsThem()
    {
        await using var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("busy", 3, new EnsembleSettings { TickTime = 100 }));
        await ensemble.StartAsync(CancellationToken.None);
        await using var monitor = new EnsembleMonitor(ensemble, new EnsembleMonitorOptions { ProbeInterval = TimeSpan.FromMilliseconds(50) },
            TimeProvider.System, NullLogger<EnsembleMonitor>.Instance);
        await using var events = new EventCollector(monitor.Events.Subscribe(CancellationToken.None));
        await monitor.StartAsync(CancellationToken.None);
        await events.WaitForAsync(seen => seen.OfType<LeaderElected>().Any());

        await using var client = await ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        var writes = Task.Run(async () =>
        {
            for (var i = 0; i < 2000; i++)
            {
                // A loaded machine can make a follower miss syncLimit and drop its clients; a ZooKeeper client retries.
                try
                {
                    await client.CreateAsync($"/t{i}", new byte[16]);
                }
                catch (CoordinationException e) when (e.OutcomeUnknown || e.Error == CoordinationError.NoQuorum)
                {
                }
            }
        });
        var samples = await events.WaitForAsync(seen => seen.OfType<ThroughputSample>().Any(s => s.ServerId is null && s.WritesPerSecond > 0));
        await writes;

        Assert.Contains(samples.OfType<ThroughputSample>(), s => s.ServerId is null && s.WritesPerSecond > 0);
    }
}
