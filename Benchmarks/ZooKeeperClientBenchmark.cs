using System.Diagnostics;
using System.Globalization;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.ZooKeeper;
using QuorumPortal.Engine.ZooKeeper.Client;
using QuorumPortal.Engine.ZooKeeper.Local;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// Pipelined getData and setData of <c>--payload</c> bytes on <c>--nodes</c> znodes against one follower of a local
/// 3-member ZooKeeper ensemble, with at most <c>--inflight</c> requests outstanding: our <see cref="ZooKeeperClient"/>
/// against the official Java client (async API, a small program compiled at run time), one after another on the same
/// ensemble and the same server. Each run: <c>--warmup</c> s unmeasured, then <c>--seconds</c> s measured; a request counts
/// when it was sent in the measured window; latency is send to completion.
/// </summary>
/// <remarks>Options: <c>--seconds</c> (5), <c>--warmup</c> (2), <c>--inflight</c> (256), <c>--payload</c> bytes (1024),
/// <c>--nodes</c> (4), <c>--tick</c> ms (200), <c>--java-first</c> 1 to run the Java client before ours for each op (0).</remarks>
internal static class ZooKeeperClientBenchmark
{
    private const string Name = "zk-client";

    public static async Task RunAsync(BenchmarkArgs args)
    {
        var seconds = args.GetInt("seconds", 5);
        var warmup = args.GetInt("warmup", 2);
        var inflight = args.GetInt("inflight", 256);
        var payload = args.GetInt("payload", 1024);
        var nodes = args.GetInt("nodes", 4);
        var javaFirst = args.GetInt("java-first", 0) != 0;
        var installation = ZooKeeperInstallation.Locate();
        var javaDir = Path.Combine(Path.GetTempPath(), $"qp-bench-zkclient-java-{Guid.NewGuid():N}");
        var classPath = string.Join(':', installation.ClassPath);
        var ensemble = ZooKeeperEnsembleWait.Create("zkclient", args.GetInt("tick", 200), out var directory);
        var results = new List<(string Key, object Value)> { ("seconds", seconds), ("inflight", inflight), ("payload", payload), ("nodes", nodes), ("java_first", javaFirst ? 1 : 0) };
        var rows = new List<string>();
        try
        {
            await CompileJavaAsync(installation, classPath, javaDir);
            await ensemble.StartAsync(CancellationToken.None);
            var leader = await EnsembleProbe.WaitForAllServingAsync(ensemble, TimeSpan.FromSeconds(60));
            var member = ensemble.Members.First(m => m.ServerId != leader);
            var target = $"{member.Host}:{member.ClientPort}";
            Report.Progress($"ensemble serving, leader {leader}; both clients use follower {member.ServerId} at {target}");

            await using (var setup = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = target }))
            {
                for (var i = 0; i < nodes; i++)
                {
                    await setup.CreateAsync(NodePath(i), new byte[payload]);
                }
            }

            foreach (var op in new[] { "get", "set" })
            {
                RunResult ours, java;
                if (javaFirst)
                {
                    java = await RunJavaAsync(installation, classPath, javaDir, target, op, seconds, warmup, inflight, payload, nodes);
                    ours = await RunOursAsync(target, op, seconds, warmup, inflight, payload, nodes);
                }
                else
                {
                    ours = await RunOursAsync(target, op, seconds, warmup, inflight, payload, nodes);
                    java = await RunJavaAsync(installation, classPath, javaDir, target, op, seconds, warmup, inflight, payload, nodes);
                }
                foreach (var (who, r) in new[] { ("ours", ours), ("java", java) })
                {
                    Report.Progress($"{op}Data {who}: {r.Ops / (double)seconds:0} ops/s, p50 {r.P50Us:0} us, p99 {r.P99Us:0} us{(r.Errors > 0 ? $", {r.Errors} errors" : "")}");
                    rows.Add($"| {op}Data | {who} | {r.Ops / (double)seconds:0} | {r.P50Us:0} | {r.P99Us:0} |");
                    results.Add(($"{op}_{who}_ops_s", Math.Round(r.Ops / (double)seconds)));
                    results.Add(($"{op}_{who}_p50_us", Math.Round(r.P50Us)));
                    results.Add(($"{op}_{who}_p99_us", Math.Round(r.P99Us)));
                    if (r.Errors > 0)
                    {
                        results.Add(($"{op}_{who}_errors", r.Errors));
                    }
                }

                results.Add(($"{op}_throughput_ratio", Math.Round(ours.Ops / (double)java.Ops, 2)));
            }
        }
        finally
        {
            await ZooKeeperEnsembleWait.DisposeAsync(ensemble, directory);
            try
            {
                Directory.Delete(javaDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        Report.Progress("| op | client | ops/s | p50 µs | p99 µs |");
        foreach (var row in rows)
        {
            Report.Progress(row);
        }

        Report.Result(Name, results);
    }

    private static string NodePath(int i) => $"/zkbench-{i}";

    private readonly record struct RunResult(long Ops, double P50Us, double P99Us, long Errors);

    private static async Task<RunResult> RunOursAsync(string target, string op, int seconds, int warmup, int inflight, int payload, int nodes)
    {
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectionString = target });
        var data = new byte[payload];
        Random.Shared.NextBytes(data);
        var latencies = new LatencyRecorder();
        var gate = new SemaphoreSlim(inflight, inflight);
        long errors = 0;
        var measureFrom = Stopwatch.GetTimestamp() + warmup * Stopwatch.Frequency;
        var end = measureFrom + seconds * Stopwatch.Frequency;
        var before = GcSnapshot.Take();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;

        async Task OneAsync(int node, long start)
        {
            try
            {
                if (op == "get")
                {
                    await client.GetDataAsync(NodePath(node));
                }
                else
                {
                    await client.SetDataAsync(NodePath(node), data);
                }

                if (start >= measureFrom)
                {
                    latencies.Add(Stopwatch.GetTimestamp() - start);
                }
            }
            catch (CoordinationException)
            {
                Interlocked.Increment(ref errors);
            }
            finally
            {
                gate.Release();
            }
        }

        var i = 0;
        while (true)
        {
            await gate.WaitAsync();
            var start = Stopwatch.GetTimestamp();
            if (start >= end)
            {
                gate.Release();
                break;
            }

            _ = OneAsync(i++ % nodes, start);
        }

        for (var k = 0; k < inflight; k++)
        {
            await gate.WaitAsync();
        }

        Report.Progress($"{op}Data ours: {GcSnapshot.Take().Since(before)} (incl. warm-up), process CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds:0.0} s over {warmup + seconds} s");
        var sorted = latencies.SortedMilliseconds();
        return new RunResult(sorted.Length, Report.Percentile(sorted, 50) * 1000, Report.Percentile(sorted, 99) * 1000, errors);
    }

    private static async Task<RunResult> RunJavaAsync(ZooKeeperInstallation installation, string classPath, string javaDir, string target,
        string op, int seconds, int warmup, int inflight, int payload, int nodes)
    {
        var (exit, stdout, stderr) = await RunProcessAsync(installation.JavaPath,
            ["-cp", $"{classPath}:{javaDir}", "ZkBench", target, op, seconds.ToString(CultureInfo.InvariantCulture),
             inflight.ToString(CultureInfo.InvariantCulture), payload.ToString(CultureInfo.InvariantCulture),
             nodes.ToString(CultureInfo.InvariantCulture), warmup.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(warmup + seconds + 60));
        var line = stdout.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("ops=", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"ZkBench exited {exit} without a result line; stderr:\n{stderr}\nstdout:\n{stdout}");
        var values = line.Split(' ').Select(p => p.Split('=')).ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
        return new RunResult((long)values["ops"], values["p50_us"], values["p99_us"], (long)values.GetValueOrDefault("errors"));
    }

    private static async Task CompileJavaAsync(ZooKeeperInstallation installation, string classPath, string javaDir)
    {
        Directory.CreateDirectory(javaDir);
        await File.WriteAllTextAsync(Path.Combine(javaDir, "ZkBench.java"), JavaSource);
        var javac = Path.Combine(Path.GetDirectoryName(installation.JavaPath)!, "javac");
        var (exit, stdout, stderr) = await RunProcessAsync(javac, ["-cp", classPath, "-d", javaDir, Path.Combine(javaDir, "ZkBench.java")], TimeSpan.FromSeconds(120));
        if (exit != 0)
        {
            throw new InvalidOperationException($"javac failed ({exit}):\n{stdout}\n{stderr}");
        }
    }

    /// <summary>Runs a process to completion; kills it (and its children) on timeout or if this method is abandoned.</summary>
    private static async Task<(int Exit, string Stdout, string Stderr)> RunProcessAsync(string file, string[] arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(timeout);
            await process.WaitForExitAsync(cancel.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private const string JavaSource = """
        import java.util.Arrays;
        import java.util.concurrent.CountDownLatch;
        import java.util.concurrent.Semaphore;
        import java.util.concurrent.atomic.AtomicLong;
        import org.apache.zookeeper.AsyncCallback;
        import org.apache.zookeeper.KeeperException;
        import org.apache.zookeeper.Watcher;
        import org.apache.zookeeper.ZooKeeper;

        // ZkBench <connectString> <get|set> <seconds> <inflight> <payload> [nodes] [warmupSeconds]
        public class ZkBench {
            // Written only by the client's single event thread; read by main after all permits are back.
            static long[] lat = new long[1 << 20];
            static int n;
            static final AtomicLong errors = new AtomicLong();

            static void record(long start, long from, int rc) {
                if (rc != KeeperException.Code.OK.intValue()) { errors.incrementAndGet(); return; }
                if (start < from) return;
                if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
                lat[n++] = System.nanoTime() - start;
            }

            public static void main(String[] a) throws Exception {
                String cs = a[0]; String op = a[1];
                int seconds = Integer.parseInt(a[2]), inflight = Integer.parseInt(a[3]), payload = Integer.parseInt(a[4]);
                int nodes = a.length > 5 ? Integer.parseInt(a[5]) : 4;
                int warmup = a.length > 6 ? Integer.parseInt(a[6]) : 2;
                CountDownLatch connected = new CountDownLatch(1);
                ZooKeeper zk = new ZooKeeper(cs, 10000, e -> { if (e.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown(); });
                connected.await();
                byte[] data = new byte[payload];
                new java.util.Random().nextBytes(data);
                String[] paths = new String[nodes];
                for (int i = 0; i < nodes; i++) paths[i] = "/zkbench-" + i;
                Semaphore gate = new Semaphore(inflight);
                final long from = System.nanoTime() + warmup * 1_000_000_000L;
                final long end = from + seconds * 1_000_000_000L;
                AsyncCallback.DataCallback getCb = (rc, path, ctx, d, stat) -> { record((Long) ctx, from, rc); gate.release(); };
                AsyncCallback.StatCallback setCb = (rc, path, ctx, stat) -> { record((Long) ctx, from, rc); gate.release(); };
                boolean get = op.equals("get");
                for (int i = 0; ; i++) {
                    gate.acquire();
                    long start = System.nanoTime();
                    if (start >= end) { gate.release(); break; }
                    String p = paths[i % nodes];
                    if (get) zk.getData(p, false, getCb, start); else zk.setData(p, data, -1, setCb, start);
                }
                gate.acquire(inflight);
                zk.close();
                long[] s = Arrays.copyOf(lat, n);
                Arrays.sort(s);
                double p50 = n == 0 ? Double.NaN : s[Math.max(0, (int) Math.ceil(0.50 * n) - 1)] / 1000.0;
                double p99 = n == 0 ? Double.NaN : s[Math.max(0, (int) Math.ceil(0.99 * n) - 1)] / 1000.0;
                System.out.println("ops=" + n + " p50_us=" + p50 + " p99_us=" + p99 + " errors=" + errors.get());
            }
        }
        """;
}
