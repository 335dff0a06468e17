using System.Diagnostics;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Embedded.Storage;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// Time from killing the established leader of a 3-member ensemble to the first write committed by its
/// successor: (a) in virtual time on <see cref="Engine.Embedded.Simulation.SimulatedEnsemble"/>, (b) on the
/// wall clock on <see cref="EmbeddedEnsemble"/>. The killed member is restarted and rejoins before the next kill.
/// </summary>
/// <remarks>
/// Options: <c>--kills</c> for (a) (default 1000), <c>--live-kills</c> for (b) (default 50, 0 skips it),
/// <c>--tick</c> ms (default 100), <c>--fsync off|batched</c> for (b) (default batched), <c>--seed</c> for (a) (default 1).
/// </remarks>
internal static class EmbeddedFailoverBenchmark
{
    private const string Name = "embedded-failover";

    public static async Task RunAsync(BenchmarkArgs args)
    {
        var tick = args.GetInt("tick", 100);
        var settings = new EnsembleSettings { TickTime = tick, InitLimit = 10, SyncLimit = 5 };
        var results = new List<(string Key, object Value)> { ("tick_ms", tick) };

        var kills = args.GetInt("kills", 1000);
        if (kills > 0)
        {
            var simulated = SimulatedFailover.Run(args.GetInt("seed", 1), kills, settings);
            Report.Progress($"simulated, {kills} kills: kill to established leader {Report.Distribution(simulated.Established)}");
            Report.Progress($"simulated, {kills} kills: kill to committed write {Report.Distribution(simulated.Committed)}");
            results.Add(("sim_kills", kills));
            results.Add(("sim_elect_p50_ms", Report.Percentile(simulated.Established, 50)));
            results.Add(("sim_p50_ms", Report.Percentile(simulated.Committed, 50)));
            results.Add(("sim_p99_ms", Report.Percentile(simulated.Committed, 99)));
            results.Add(("sim_max_ms", Report.Percentile(simulated.Committed, 100)));
        }

        var liveKills = args.GetInt("live-kills", 50);
        if (liveKills > 0)
        {
            var policy = args.Get("fsync") == "off" ? FsyncPolicy.Off : FsyncPolicy.Batched;
            var live = await RunLiveAsync(liveKills, settings, policy);
            Report.Progress($"wall clock, {liveKills} kills, fsync {policy}: kill to acknowledged write {Report.Distribution(live)}");
            results.Add(("live_kills", liveKills));
            results.Add(("live_fsync", policy.ToString().ToLowerInvariant()));
            results.Add(("live_p50_ms", Report.Percentile(live, 50)));
            results.Add(("live_p99_ms", Report.Percentile(live, 99)));
            results.Add(("live_max_ms", Report.Percentile(live, 100)));
        }

        Report.Result(Name, results);
    }

    /// <summary>
    /// Kills the leader while a client connected to a survivor writes in a tight loop (one write at a time,
    /// reconnecting after connection loss as any client does); stops the clock at the first acknowledged
    /// write of a newer epoch than the killed leader's.
    /// </summary>
    private static async Task<double[]> RunLiveAsync(int kills, EnsembleSettings settings, FsyncPolicy policy)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"qp-bench-failover-{Guid.NewGuid():N}");
        var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("failover", 3, settings), directory, new EmbeddedOptions { Fsync = policy });
        var samples = new List<double>();
        try
        {
            await ensemble.StartAsync(CancellationToken.None);
            await EnsembleProbe.WaitForAllServingAsync(ensemble, TimeSpan.FromSeconds(30));
            await using (var setup = await ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None))
            {
                await setup.CreateAsync("/failover", new byte[16]);
            }

            for (var i = 0; i < kills; i++)
            {
                var leader = await EnsembleProbe.WaitForAllServingAsync(ensemble, TimeSpan.FromSeconds(30));
                var epoch = (await ensemble.ProbeAsync(leader, ProbeDetail.None, CancellationToken.None)).Epoch;
                var survivors = ensemble.Members.Select(m => m.ServerId).Where(id => id != leader).ToArray();
                await using var client = await ensemble.OpenClientAsync(
                    new ClientOptions { ServerIds = survivors, SessionTimeout = TimeSpan.FromSeconds(2), RequestTimeout = TimeSpan.FromSeconds(5) },
                    CancellationToken.None);
                await client.SetDataAsync("/failover", new byte[16]);

                long killedAt = 0;
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var writer = Task.Run(async () =>
                {
                    var data = new byte[16];
                    while (!stop.IsCancellationRequested)
                    {
                        try
                        {
                            var stat = await client.SetDataAsync("/failover", data, cancellationToken: stop.Token);
                            if (Zxid.EpochOf(stat.Mzxid) > epoch)
                            {
                                return Stopwatch.GetTimestamp();
                            }
                        }
                        catch (CoordinationException)
                        {
                            // Connection loss while the survivors elect; the next call reconnects.
                        }
                    }

                    throw new TimeoutException("no write committed by a new leader within 30 s");
                });

                killedAt = Stopwatch.GetTimestamp();
                await ensemble.StopMemberAsync(leader, StopMode.Kill, CancellationToken.None);
                var acknowledgedAt = await writer;
                var ms = Stopwatch.GetElapsedTime(killedAt, acknowledgedAt).TotalMilliseconds;
                samples.Add(ms);
                if ((i + 1) % 10 == 0)
                {
                    Report.Progress($"wall clock: {i + 1}/{kills} kills, last {Report.Format(ms)} ms");
                }

                await ensemble.StartMemberAsync(leader, CancellationToken.None);
            }
        }
        finally
        {
            await ensemble.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }

        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return sorted;
    }
}
