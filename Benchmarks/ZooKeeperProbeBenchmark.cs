using System.Diagnostics;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// CPU and wall time of this process per probe of one member of a local 3-member ZooKeeper ensemble: (a) the full
/// <see cref="ZooKeeperProbe"/> the monitor runs (<c>srvr</c>, <c>mntr</c>, <c>conf</c>: three TCP connections), (b) only
/// <c>srvr</c> + <c>mntr</c> sent and parsed. Probes run <c>--concurrency</c> at a time; the servers' CPU is not counted.
/// </summary>
/// <remarks>Options: <c>--probes</c> (default 2000), <c>--warmup</c> (default 500), <c>--tick</c> ms (default 200), <c>--hz</c> (default 4),
/// <c>--concurrency</c> probes in flight (default 1; the monitor probes a round's members in parallel).</remarks>
internal static class ZooKeeperProbeBenchmark
{
    private const string Name = "zk-probe";

    public static async Task RunAsync(BenchmarkArgs args)
    {
        var probes = args.GetInt("probes", 2000);
        var warmup = args.GetInt("warmup", 500);
        var hz = args.GetDouble("hz", 4);
        var concurrency = args.GetInt("concurrency", 1);
        var ensemble = ZooKeeperEnsembleWait.Create("zkprobe", args.GetInt("tick", 200), out var directory);
        var results = new List<(string Key, object Value)> { ("probes", probes), ("concurrency", concurrency) };
        try
        {
            await ensemble.StartAsync(CancellationToken.None);
            var leader = await EnsembleProbe.WaitForAllServingAsync(ensemble, TimeSpan.FromSeconds(60));
            var member = ensemble.Members.First(m => m.ServerId != leader); // a follower, as most members are
            Report.Progress($"ensemble serving, leader {leader}; probing follower {member.ServerId} on port {member.ClientPort}");

            var probe = new ZooKeeperProbe();
            var client = new FourLetterWordClient();
            var full = await MeasureAsync("full probe (srvr+mntr+conf)", probes, warmup, concurrency, async () =>
            {
                var status = await probe.ProbeAsync(member, CancellationToken.None);
                if (status.Error is not null)
                {
                    throw new InvalidOperationException($"probe failed: {status.Error}");
                }
            });
            var light = await MeasureAsync("srvr+mntr only", probes, warmup, concurrency, async () =>
            {
                SrvrParser.Parse(await client.SendAsync(member.Host, member.ClientPort, "srvr", CancellationToken.None));
                MntrParser.Parse(await client.SendAsync(member.Host, member.ClientPort, "mntr", CancellationToken.None));
            });

            // The parsers alone on answers already received, to split the probe's CPU into network and parsing.
            var srvrText = await client.SendAsync(member.Host, member.ClientPort, "srvr", CancellationToken.None);
            var mntrText = await client.SendAsync(member.Host, member.ClientPort, "mntr", CancellationToken.None);
            var confText = await client.SendAsync(member.Host, member.ClientPort, "conf", CancellationToken.None);
            Report.Progress($"answer sizes: srvr {srvrText.Length}, mntr {mntrText.Length}, conf {confText.Length} chars");
            var parse = await MeasureAsync("parsing srvr+mntr+conf only", probes, warmup, 1, () =>
            {
                SrvrParser.Parse(srvrText);
                MntrParser.Parse(mntrText);
                ConfParser.Parse(confText);
                return Task.CompletedTask;
            });

            Add("full", full);
            Add("srvr_mntr", light);
            results.Add(("parse_cpu_us", parse.CpuMicroseconds));
            results.Add(("parse_alloc_kb", parse.AllocatedKilobytes));
        }
        finally
        {
            await ZooKeeperEnsembleWait.DisposeAsync(ensemble, directory);
        }

        Report.Result(Name, results);

        void Add(string prefix, Measurement m)
        {
            results.Add(($"{prefix}_cpu_us", m.CpuMicroseconds));
            results.Add(($"{prefix}_alloc_kb", m.AllocatedKilobytes));
            results.Add(($"{prefix}_wall_p50_ms", Report.Percentile(m.Wall, 50)));
            results.Add(($"{prefix}_wall_p99_ms", Report.Percentile(m.Wall, 99)));
            results.Add(($"{prefix}_members_per_core_at_{hz}hz", Math.Floor(1e6 / (m.CpuMicroseconds * hz))));
        }
    }

    private sealed record Measurement(double CpuMicroseconds, double AllocatedKilobytes, double[] Wall);

    private static async Task<Measurement> MeasureAsync(string what, int probes, int warmup, int concurrency, Func<Task> once)
    {
        for (var i = 0; i < warmup; i++)
        {
            await once();
        }

        var wall = new LatencyRecorder();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gc = GcSnapshot.Take();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            for (var i = w; i < probes; i += concurrency)
            {
                var start = Stopwatch.GetTimestamp();
                await once();
                wall.Add(Stopwatch.GetTimestamp() - start);
            }
        })));

        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalMicroseconds / probes;
        var allocated = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1024.0 / probes;
        var sorted = wall.SortedMilliseconds();
        Report.Progress($"{what}, {probes} probes: CPU {Report.Format(cpu)} µs/probe, allocated {Report.Format(allocated)} KiB/probe, wall {Report.Distribution(sorted)}");
        Report.Progress($"{what}: {GcSnapshot.Take().Since(gc)}");
        return new Measurement(cpu, allocated, sorted);
    }
}
