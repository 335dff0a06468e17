using System.Diagnostics;
using QuorumPortal.Engine.Workloads;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// What a <see cref="WorkloadRunner"/> costs the portal: this process's CPU while the runner drives a local
/// 3-member ZooKeeper ensemble (separate JVMs, whose CPU is not counted) at each rate of <c>--rates</c>, with the
/// rate it achieved, its own p50/p99 and its errors and skipped operations.
/// </summary>
/// <remarks>Options: <c>--rates</c> comma-separated ops/s (default 1000,10000), <c>--seconds</c> measured per rate (default 10),
/// <c>--warmup</c> s (default 3), <c>--writes</c> fraction (default 0.5), <c>--value</c> bytes (default 1024), <c>--sessions</c> (default 4), <c>--tick</c> ms (default 200).</remarks>
internal static class ZooKeeperWorkloadBenchmark
{
    private const string Name = "zk-workload";

    public static async Task RunAsync(BenchmarkArgs args)
    {
        var rates = (args.Get("rates") ?? "1000,10000").Split(',').Select(r => int.Parse(r, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var seconds = args.GetInt("seconds", 10);
        var warmup = args.GetInt("warmup", 3);
        var ensemble = ZooKeeperEnsembleWait.Create("zkworkload", args.GetInt("tick", 200), out var directory);
        var results = new List<(string Key, object Value)> { ("seconds", seconds) };
        try
        {
            await ensemble.StartAsync(CancellationToken.None);
            var leader = await EnsembleProbe.WaitForAllServingAsync(ensemble, TimeSpan.FromSeconds(60));
            Report.Progress($"ensemble serving, leader {leader}");
            foreach (var rate in rates)
            {
                var spec = new WorkloadSpec
                {
                    OperationsPerSecond = rate,
                    WriteFraction = args.GetDouble("writes", 0.5),
                    ValueSize = args.GetInt("value", 1024),
                    Sessions = args.GetInt("sessions", 4),
                    Keys = 100,
                };
                await using var runner = new WorkloadRunner(ensemble, spec, new WorkloadRunnerOptions { Window = TimeSpan.FromSeconds(seconds) });
                runner.Start();
                while (runner.State == WorkloadState.Starting)
                {
                    await Task.Delay(50);
                }

                await Task.Delay(TimeSpan.FromSeconds(warmup));
                var process = Process.GetCurrentProcess();
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var before = runner.Status;
                var clock = Stopwatch.StartNew();
                await Task.Delay(TimeSpan.FromSeconds(seconds));
                var after = runner.Status;
                process.Refresh();
                var cpu = process.TotalProcessorTime - cpuBefore;
                var elapsed = clock.Elapsed.TotalSeconds;
                await runner.StopAsync(deleteKeySpace: true, CancellationToken.None);

                var done = after.Reads + after.Writes - before.Reads - before.Writes;
                var achieved = done / elapsed;
                var cpuPercent = cpu.TotalSeconds / elapsed * 100;
                Report.Progress($"{rate} ops/s offered: {achieved:0} achieved, CPU {cpuPercent:0.#}% of a core ({cpu.TotalMicroseconds / Math.Max(1, done):0.#} µs/op), " +
                    $"p50 {after.LatencyP50?.TotalMilliseconds:0.###} ms, p99 {after.LatencyP99?.TotalMilliseconds:0.###} ms, " +
                    $"errors {after.Errors - before.Errors}, skipped {after.Skipped - before.Skipped}");
                results.Add(($"r{rate}_achieved", Math.Round(achieved)));
                results.Add(($"r{rate}_cpu_pct", Math.Round(cpuPercent, 1)));
                results.Add(($"r{rate}_cpu_us_per_op", Math.Round(cpu.TotalMicroseconds / Math.Max(1, done), 1)));
                results.Add(($"r{rate}_p50_ms", after.LatencyP50?.TotalMilliseconds ?? double.NaN));
                results.Add(($"r{rate}_p99_ms", after.LatencyP99?.TotalMilliseconds ?? double.NaN));
                results.Add(($"r{rate}_errors", after.Errors - before.Errors));
                results.Add(($"r{rate}_skipped", after.Skipped - before.Skipped));
            }
        }
        finally
        {
            await ZooKeeperEnsembleWait.DisposeAsync(ensemble, directory);
        }

        Report.Result(Name, results);
    }
}
