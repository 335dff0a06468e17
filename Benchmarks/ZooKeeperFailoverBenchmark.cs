using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// Time from killing (SIGKILL) the leader of a local 3-member ZooKeeper ensemble to the <see cref="EnsembleMonitor"/>'s
/// <see cref="LeaderElected"/> naming another member, as a portal user would see it. The killed member is restarted
/// and all three serve again before the next kill. The figure includes up to one probe interval of detection delay.
/// </summary>
/// <remarks>Options: <c>--kills</c> (default 20), <c>--interval</c> probe interval ms (default 50), <c>--tick</c> ms (default 200).</remarks>
internal static class ZooKeeperFailoverBenchmark
{
    private const string Name = "zk-failover";

    public static async Task RunAsync(BenchmarkArgs args)
    {
        var kills = args.GetInt("kills", 20);
        var interval = args.GetInt("interval", 50);
        var tick = args.GetInt("tick", 200);
        var ensemble = ZooKeeperEnsembleWait.Create("zkfailover", tick, out var directory);
        var samples = new List<double>();
        var monitor = new EnsembleMonitor(ensemble, new EnsembleMonitorOptions { ProbeInterval = TimeSpan.FromMilliseconds(interval) },
            TimeProvider.System, NullLogger<EnsembleMonitor>.Instance);
        using var stopReading = new CancellationTokenSource();
        var elected = Channel.CreateUnbounded<(long At, int Leader)>();
        Task? reader = null;
        try
        {
            await ensemble.StartAsync(CancellationToken.None);
            await EnsembleProbe.WaitForAllServingAsync(ensemble, TimeSpan.FromSeconds(60));

            // One reader for the whole run: a subscription ends when its reader loop ends.
            var subscription = monitor.Events.Subscribe(CancellationToken.None);
            reader = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in subscription.ReadBatchesAsync(stopReading.Token))
                    {
                        var at = Stopwatch.GetTimestamp();
                        foreach (var e in batch.OfType<LeaderElected>())
                        {
                            elected.Writer.TryWrite((at, e.NewLeaderId));
                        }
                    }
                }
                catch (OperationCanceledException) when (stopReading.IsCancellationRequested)
                {
                }
            });
            await monitor.StartAsync(CancellationToken.None);

            for (var i = 0; i < kills; i++)
            {
                var leader = await EnsembleProbe.WaitForAllServingAsync(ensemble, TimeSpan.FromSeconds(60));
                await WaitForMonitorLeaderAsync(monitor, leader, TimeSpan.FromSeconds(10));
                while (elected.Reader.TryRead(out _))
                {
                }

                var killedAt = Stopwatch.GetTimestamp();
                await ensemble.StopMemberAsync(leader, StopMode.Kill, CancellationToken.None);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var (at, successor) = (0L, leader);
                while (successor == leader)
                {
                    (at, successor) = await elected.Reader.ReadAsync(timeout.Token);
                }

                var ms = Stopwatch.GetElapsedTime(killedAt, at).TotalMilliseconds;
                samples.Add(ms);
                Report.Progress($"kill {i + 1}/{kills}: leader {leader} killed, monitor saw {successor} elected after {Report.Format(ms)} ms");
                await ensemble.StartMemberAsync(leader, CancellationToken.None);
            }

            await EnsembleProbe.WaitForAllServingAsync(ensemble, TimeSpan.FromSeconds(60));
        }
        finally
        {
            await monitor.DisposeAsync();
            stopReading.Cancel();
            if (reader is not null)
            {
                await reader;
            }

            await ZooKeeperEnsembleWait.DisposeAsync(ensemble, directory);
        }

        var sorted = samples.ToArray();
        Array.Sort(sorted);
        Report.Progress($"{kills} kills: kill to LeaderElected {Report.Distribution(sorted)}");
        Report.Result(Name,
        [
            ("tick_ms", tick),
            ("probe_interval_ms", interval),
            ("kills", kills),
            ("p50_ms", Report.Percentile(sorted, 50)),
            ("p99_ms", Report.Percentile(sorted, 99)),
            ("max_ms", Report.Percentile(sorted, 100)),
            ("min_ms", Report.Percentile(sorted, 0)),
        ]);
    }

    private static async Task WaitForMonitorLeaderAsync(EnsembleMonitor monitor, int leader, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (monitor.Current?.LeaderId != leader)
        {
            await Task.Delay(10, cancel.Token);
        }
    }
}
