using System.Diagnostics;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Embedded.Storage;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// Committed 1 KiB setData throughput and client-observed commit latency of an <see cref="EmbeddedEnsemble"/>
/// on real threads with <see cref="FileNodeStorage"/> in a temp directory: first closed loop at full load
/// (every session keeps <c>--depth</c> requests outstanding), then open loop at half the measured rate.
/// </summary>
/// <remarks>
/// Options: <c>--nodes 3|5</c> (default both), <c>--fsync off|batched</c> (default both), <c>--clients</c> sessions
/// spread round-robin over the members (default 64), <c>--depth</c> outstanding requests per session (default 16),
/// <c>--seconds</c> measured per phase (default 10), <c>--warmup</c> seconds (default 3), <c>--payload</c> bytes (default 1024),
/// <c>--rate</c> writes/s of the open loop (default half the full-load rate), <c>--full false</c> to skip the full-load
/// phase (needs <c>--rate</c>: the open loop then starts on a fresh ensemble, not after 13 s of maximum load),
/// <c>--breakdown true</c> to print where the open loop's slow requests come from (<see cref="LatencyBreakdown"/>),
/// <c>--log-writer thread|loop|auto</c> where each member writes its log (<see cref="EmbeddedOptions.LogWriterThread"/>;
/// default auto: a writer thread when the fsync policy syncs, the member's loop when it is off),
/// <c>--loop-threads N</c> threads shared by the members' loops (<see cref="EmbeddedOptions.LoopThreads"/>; default one
/// per core, 0 a thread per member).
/// </remarks>
internal static class EmbeddedWritesBenchmark
{
    private const string Name = "embedded-writes";

    public static async Task RunAsync(BenchmarkArgs args)
    {
        var nodes = args.Get("nodes") is { } n ? [int.Parse(n, System.Globalization.CultureInfo.InvariantCulture)] : new[] { 3, 5 };
        var policies = args.Get("fsync") is { } f ? [ParsePolicy(f)] : new[] { FsyncPolicy.Off, FsyncPolicy.Batched };
        var plan = new Plan(
            Clients: args.GetInt("clients", 64),
            Depth: args.GetInt("depth", 16),
            Measure: TimeSpan.FromSeconds(args.GetDouble("seconds", 10)),
            Warmup: TimeSpan.FromSeconds(args.GetDouble("warmup", 3)),
            PayloadBytes: args.GetInt("payload", 1024),
            CommittedLog: args.GetInt("committed-log", new EmbeddedOptions().CommittedLogCapacity),
            OpenLoopRate: args.Get("rate") is null ? null : args.GetDouble("rate", 0),
            InMemory: args.Get("storage") == "memory",
            FullLoad: args.Get("full") != "false",
            Breakdown: args.Get("breakdown") == "true",
            LogWriterThread: args.Get("log-writer") switch
            {
                null or "auto" => null,
                "thread" => true,
                "loop" => false,
                var other => throw new ArgumentException($"--log-writer thread|loop|auto, not '{other}'"),
            },
            LoopThreads: args.Get("loop-threads") is { } threads ? int.Parse(threads, System.Globalization.CultureInfo.InvariantCulture) : null);
        if (!plan.FullLoad && plan.OpenLoopRate is null)
        {
            throw new ArgumentException("--full false needs --rate: the open loop's rate is otherwise half the full load's");
        }

        using var allocations = args.Get("allocations") == "true" ? new AllocationProfile() : null;
        var results = new List<(string Key, object Value)>
        {
            ("clients", plan.Clients), ("depth", plan.Depth), ("seconds", plan.Measure.TotalSeconds), ("payload", plan.PayloadBytes),
            ("loadavg_start", Report.LoadAverage()),
        };
        foreach (var size in nodes)
        {
            foreach (var policy in policies)
            {
                var outcome = await RunOneAsync(size, policy, plan);
                var prefix = $"n{size}_{policy.ToString().ToLowerInvariant()}_";
                if (outcome.Full is { } full)
                {
                    results.Add((prefix + "wps", Math.Round(full.Rate)));
                    results.Add((prefix + "p50_ms", full.P50));
                    results.Add((prefix + "p99_ms", full.P99));
                }

                results.Add((prefix + "half_wps", Math.Round(outcome.Half.Rate)));
                results.Add((prefix + "half_p50_ms", outcome.Half.P50));
                results.Add((prefix + "half_p99_ms", outcome.Half.P99));
                results.Add((prefix + "half_server_p50_ms", outcome.Half.ServerP50));
                results.Add((prefix + "half_server_p99_ms", outcome.Half.ServerP99));
                results.Add((prefix + "errors", (outcome.Full?.Errors ?? 0) + outcome.Half.Errors));
            }
        }

        allocations?.Print();
        results.Add(("loadavg_end", Report.LoadAverage()));
        Report.Result(Name, results);
    }

    private static FsyncPolicy ParsePolicy(string value) => value.ToLowerInvariant() switch
    {
        "off" => FsyncPolicy.Off,
        "batched" => FsyncPolicy.Batched,
        "always" => FsyncPolicy.Always,
        _ => throw new ArgumentException($"--fsync off|batched|always, not '{value}'"),
    };

    private sealed record Plan(int Clients, int Depth, TimeSpan Measure, TimeSpan Warmup, int PayloadBytes, int CommittedLog, double? OpenLoopRate, bool InMemory, bool FullLoad, bool Breakdown, bool? LogWriterThread, int? LoopThreads);

    private sealed record Outcome(Phase? Full, Phase Half);

    private static async Task<Outcome> RunOneAsync(int size, FsyncPolicy policy, Plan plan)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"qp-bench-writes-{Guid.NewGuid():N}");
        var settings = new EnsembleSettings { TickTime = 200, InitLimit = 10, SyncLimit = 5 };
        var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize($"bench{size}", size, settings), plan.InMemory ? null : directory, new EmbeddedOptions { Fsync = policy, CommittedLogCapacity = plan.CommittedLog, LogWriterThread = plan.LogWriterThread, LoopThreads = plan.LoopThreads });
        var clients = new List<ICoordinationClient>();
        try
        {
            await ensemble.StartAsync(CancellationToken.None);
            var leader = await EnsembleProbe.WaitForAllServingAsync(ensemble, TimeSpan.FromSeconds(30));
            Report.Progress($"{size} nodes, fsync {policy}: leader {leader}; opening {plan.Clients} sessions in {directory}");

            var payload = new byte[plan.PayloadBytes];
            Random.Shared.NextBytes(payload);
            var paths = new string[plan.Clients];
            for (var i = 0; i < plan.Clients; i++)
            {
                var client = await ensemble.OpenClientAsync(
                    new ClientOptions { ServerIds = [(i % size) + 1], SessionTimeout = TimeSpan.FromSeconds(30), RequestTimeout = TimeSpan.FromSeconds(30) },
                    CancellationToken.None);
                clients.Add(client);
                paths[i] = await client.CreateAsync($"/bench-{i}", payload);
            }

            Phase? full = null;
            if (plan.FullLoad)
            {
                var before = GcSnapshot.Take();
                full = await ClosedLoopAsync(clients, paths, payload, plan);
                Report.Progress($"{size} nodes, fsync {policy}: full load {full.Rate:0} writes/s, p50 {Report.Format(full.P50)} ms, p99 {Report.Format(full.P99)} ms, {full.Errors} errors; {GcSnapshot.Take().Since(before)}");
            }

            var gc = GcSnapshot.Take();
            var half = await OpenLoopAsync(clients, paths, payload, plan.OpenLoopRate ?? full!.Rate / 2, plan, ensemble);
            Report.Progress($"{size} nodes, fsync {policy}: half load {half.Rate:0} writes/s, p50 {Report.Format(half.P50)} ms, p99 {Report.Format(half.P99)} ms, {half.Errors} errors; {GcSnapshot.Take().Since(gc)}");
            return new Outcome(full, half);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            await ensemble.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <param name="ServerP50">Server-side latency (<see cref="ServerSideLatency"/>), for the open loop only (NaN otherwise).</param>
    private sealed record Phase(double Rate, double P50, double P99, long Errors, double ServerP50 = double.NaN, double ServerP99 = double.NaN);

    /// <summary>Every session keeps <see cref="Plan.Depth"/> writes outstanding: the most the ensemble can commit.</summary>
    private static async Task<Phase> ClosedLoopAsync(List<ICoordinationClient> clients, string[] paths, byte[] payload, Plan plan)
    {
        var recorder = new LatencyRecorder();
        long completed = 0, errors = 0;
        var measuring = 0; // 0 warm-up, 1 measuring, 2 stopping
        var workers = new List<Task>();
        for (var c = 0; c < clients.Count; c++)
        {
            for (var d = 0; d < plan.Depth; d++)
            {
                var (client, path) = (clients[c], paths[c]);
                workers.Add(Task.Run(async () =>
                {
                    while (Volatile.Read(ref measuring) < 2)
                    {
                        var started = Stopwatch.GetTimestamp();
                        try
                        {
                            await client.SetDataAsync(path, payload);
                        }
                        catch (CoordinationException)
                        {
                            Interlocked.Increment(ref errors);
                            continue;
                        }

                        if (Volatile.Read(ref measuring) == 1)
                        {
                            recorder.Add(Stopwatch.GetTimestamp() - started);
                        }
                    }
                }));
            }
        }

        await Task.Delay(plan.Warmup);
        Volatile.Write(ref measuring, 1);
        var clock = Stopwatch.StartNew();
        await Task.Delay(plan.Measure);
        completed = recorder.Offered;
        var elapsed = clock.Elapsed;
        Volatile.Write(ref measuring, 2);
        await Task.WhenAll(workers);

        var sorted = recorder.SortedMilliseconds();
        Report.Progress(Report.Distribution(sorted));
        return new Phase(completed / elapsed.TotalSeconds, Report.Percentile(sorted, 50), Report.Percentile(sorted, 99), Interlocked.Read(ref errors));
    }

    /// <summary>
    /// Open loop: writes are issued at a fixed rate whatever the answers do (so a slow answer does not
    /// slow the load down), round-robin over the sessions, each timed from its own send.
    /// </summary>
    private static async Task<Phase> OpenLoopAsync(List<ICoordinationClient> clients, string[] paths, byte[] payload, double rate, Plan plan, EmbeddedEnsemble ensemble)
    {
        LatencyBreakdown? breakdown = null;
        ServerSideLatency? serverSide = null;
        var recorder = new LatencyRecorder();
        long errors = 0, outstanding = 0, skipped = 0;
        var total = plan.Warmup + plan.Measure;
        var clock = Stopwatch.StartNew();
        long issued = 0;
        var next = 0;
        var warmupTicks = (long)(plan.Warmup.TotalSeconds * Stopwatch.Frequency);
        var startTimestamp = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        while (clock.Elapsed < total && await timer.WaitForNextTickAsync())
        {
            if (serverSide is null && clock.Elapsed >= plan.Warmup)
            {
                serverSide = new ServerSideLatency(ensemble);
                breakdown = plan.Breakdown ? new LatencyBreakdown(ensemble) : null;
            }

            var due = (long)(clock.Elapsed.TotalSeconds * rate);
            for (; issued < due; issued++)
            {
                if (Interlocked.Read(ref outstanding) > 50_000)
                {
                    skipped++; // the ensemble fell far behind; do not pile up without bound
                    continue;
                }

                var i = next++ % clients.Count;
                Interlocked.Increment(ref outstanding);
                _ = SendAsync(clients[i], paths[i]);
            }
        }

        while (Interlocked.Read(ref outstanding) > 0)
        {
            await Task.Delay(10);
        }

        breakdown?.Dispose();
        serverSide?.Dispose();

        var sorted = recorder.SortedMilliseconds();
        var serverSorted = serverSide?.SortedMilliseconds() ?? [];
        Report.Progress($"client-observed {Report.Distribution(sorted)}");
        Report.Progress($"server-side (request at its member to reply sent) {Report.Distribution(serverSorted)}");
        var measuredRate = (issued - skipped) / total.TotalSeconds;
        if (skipped > 0)
        {
            Report.Progress($"open loop fell behind: {skipped} writes not issued");
        }

        return new Phase(
            measuredRate, Report.Percentile(sorted, 50), Report.Percentile(sorted, 99), Interlocked.Read(ref errors) + skipped,
            Report.Percentile(serverSorted, 50), Report.Percentile(serverSorted, 99));

        async Task SendAsync(ICoordinationClient client, string path)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await client.SetDataAsync(path, payload);
                if (started - startTimestamp >= warmupTicks)
                {
                    var ticks = Stopwatch.GetTimestamp() - started;
                    recorder.Add(ticks);
                    breakdown?.Request(started, ticks);
                }
            }
            catch (CoordinationException)
            {
                Interlocked.Increment(ref errors);
            }
            finally
            {
                Interlocked.Decrement(ref outstanding);
            }
        }
    }
}
