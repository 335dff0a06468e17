using System.Diagnostics;
using System.Globalization;
using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Client;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// CPU and wall time of this process per probe of one follower of a local 3-member ZooKeeper ensemble, through each
/// path of <see cref="ZooKeeperProbe"/>: (a) four-letter words (<c>srvr</c> then <c>mntr</c>, a TCP connection each;
/// <c>conf</c> cached), (b) the AdminServer (<c>server_stats</c> then <c>monitor</c> on one kept-alive HTTP connection;
/// <c>conf</c> cached). Then the parsers alone on answers already received. The servers' CPU is not counted. With
/// <c>--clients N</c>, N sessions are then opened on the follower and the probe is measured again without and with
/// the client list (<c>cons</c>, or the AdminServer's <c>connections</c>), which the member page asks for.
/// </summary>
/// <remarks>Options: <c>--probes</c> (default 4000), <c>--warmup</c> (default 1000), <c>--tick</c> ms (default 200), <c>--hz</c> (default 4),
/// <c>--concurrency</c> probes in flight (default 1; the monitor probes a round's members in parallel), <c>--clients</c>
/// sessions for the client-list measurement (default 0: not measured).</remarks>
internal static class ZooKeeperProbeBenchmark
{
    private const string Name = "zk-probe";

    public static async Task RunAsync(BenchmarkArgs args)
    {
        var probes = args.GetInt("probes", 4000);
        var warmup = args.GetInt("warmup", 1000);
        var hz = args.GetDouble("hz", 4);
        var concurrency = args.GetInt("concurrency", 1);
        var sessions = args.GetInt("clients", 0);
        var ensemble = ZooKeeperEnsembleWait.Create("zkprobe", args.GetInt("tick", 200), out var directory);
        var results = new List<(string Key, object Value)> { ("probes", probes), ("concurrency", concurrency), ("loadavg_start", Report.LoadAverage()) };
        try
        {
            await ensemble.StartAsync(CancellationToken.None);
            var leader = await EnsembleProbe.WaitForAllServingAsync(ensemble, TimeSpan.FromSeconds(60));
            var member = ensemble.Supervisor.Members.First(m => m.ServerId != leader); // a follower, as most members are
            var spec = member.Spec;
            var admin = member.AdminServer
                ?? throw new InvalidOperationException("the member has no AdminServer: is libservlet-api-java installed (/usr/share/java/servlet-api.jar)?");
            Report.Progress($"ensemble serving, leader {leader}; probing follower {member.ServerId} on client port {spec.ClientPort}, AdminServer {admin}");

            var probe = new ZooKeeperProbe();
            var words = await MeasureAsync("four-letter words (srvr, mntr; conf cached)", probes, warmup, concurrency, async () =>
                Check(await probe.ProbeAsync(spec, CancellationToken.None), "srvr:"));
            var adminServer = await MeasureAsync("AdminServer (server_stats, monitor; conf cached)", probes, warmup, concurrency, async () =>
                Check(await probe.ProbeAsync(spec, admin, CancellationToken.None), "server_stats:"));

            // The parsers alone on answers already received, to split the probe's CPU into network and parsing.
            var client = new FourLetterWordClient();
            var srvrText = await client.SendAsync(spec.Host, spec.ClientPort, "srvr", CancellationToken.None);
            var mntrText = await client.SendAsync(spec.Host, spec.ClientPort, "mntr", CancellationToken.None);
            var stats = Encoding.UTF8.GetBytes(await AdminServerClient.Shared.GetAsync(admin, "server_stats", CancellationToken.None));
            var monitor = Encoding.UTF8.GetBytes(await AdminServerClient.Shared.GetAsync(admin, "monitor", CancellationToken.None));
            Report.Progress($"answer sizes: srvr {srvrText.Length}, mntr {mntrText.Length}, server_stats {stats.Length}, monitor {monitor.Length} bytes");
            var parseWords = await MeasureAsync("parsing srvr+mntr", probes, warmup, 1, () =>
            {
                SrvrParser.Parse(srvrText);
                MntrParser.Parse(mntrText);
                return Task.CompletedTask;
            });
            var parseAdmin = await MeasureAsync("parsing server_stats+monitor", probes, warmup, 1, () =>
            {
                AdminServerParser.ParseServerStats(stats);
                AdminServerParser.ParseMonitor(monitor);
                return Task.CompletedTask;
            });

            Add("words", words);
            Add("admin", adminServer);
            results.Add(("parse_words_cpu_us", parseWords.CpuMicroseconds));
            results.Add(("parse_words_alloc_kb", parseWords.AllocatedKilobytes));
            results.Add(("parse_admin_cpu_us", parseAdmin.CpuMicroseconds));
            results.Add(("parse_admin_alloc_kb", parseAdmin.AllocatedKilobytes));
            if (sessions > 0)
            {
                await MeasureClientListAsync(probe, member, sessions, probes, warmup, results, Add);
            }

            results.Add(("loadavg_end", Report.LoadAverage()));
        }
        finally
        {
            await ZooKeeperEnsembleWait.DisposeAsync(ensemble, directory);
        }

        Report.Result(Name, results);

        void Add(string prefix, Measurement m)
        {
            results.Add(($"{prefix}_cpu_us", m.CpuMicroseconds));
            results.Add(($"{prefix}_user_us", m.UserMicroseconds));
            results.Add(($"{prefix}_sys_us", m.CpuMicroseconds - m.UserMicroseconds));
            results.Add(($"{prefix}_alloc_kb", m.AllocatedKilobytes));
            results.Add(($"{prefix}_wall_p50_ms", Report.Percentile(m.Wall, 50)));
            results.Add(($"{prefix}_wall_p99_ms", Report.Percentile(m.Wall, 99)));
            results.Add(($"{prefix}_members_per_core_at_{hz}hz", Math.Floor(1e6 / (m.CpuMicroseconds * hz))));
        }
    }

    // The same probes with `sessions` clients connected, without and with their list; then the list's parsers alone.
    private static async Task MeasureClientListAsync(ZooKeeperProbe probe, QuorumPortal.Engine.ZooKeeper.Local.LocalZooKeeperMember member, int sessions,
        int probes, int warmup, List<(string Key, object Value)> results, Action<string, Measurement> add)
    {
        var spec = member.Spec;
        var admin = member.AdminServer!;
        var clients = new List<ZooKeeperClient>();
        try
        {
            for (var i = 0; i < sessions; i++)
            {
                clients.Add(await ZooKeeperClient.ConnectAsync($"{spec.Host}:{spec.ClientPort}", TimeSpan.FromSeconds(10)));
            }

            Report.Progress($"{sessions} sessions open on follower {member.ServerId}");
            var (n, w) = (probes / 4, warmup / 4); // a list probe costs more; fewer of them
            add("sessions_words", await MeasureAsync($"words, {sessions} sessions connected", n, w, 1, async () =>
                Check(await probe.ProbeAsync(spec, CancellationToken.None), "srvr:")));
            add("sessions_words_cons", await MeasureAsync($"words + cons, {sessions} sessions", n, w, 1, async () =>
                CheckClients(await probe.ProbeAsync(spec, null, ProbeDetail.Clients, CancellationToken.None), "srvr:", sessions)));
            add("sessions_admin", await MeasureAsync($"AdminServer, {sessions} sessions connected", n, w, 1, async () =>
                Check(await probe.ProbeAsync(spec, admin, CancellationToken.None), "server_stats:")));
            add("sessions_admin_connections", await MeasureAsync($"AdminServer + connections, {sessions} sessions", n, w, 1, async () =>
                CheckClients(await probe.ProbeAsync(spec, admin, ProbeDetail.Clients, CancellationToken.None), "server_stats:", sessions)));

            var cons = await new FourLetterWordClient().SendAsync(spec.Host, spec.ClientPort, "cons", CancellationToken.None);
            var connections = await AdminServerClient.Shared.GetAsync(admin, "connections", CancellationToken.None);
            Report.Progress($"answer sizes with {sessions} sessions: cons {Encoding.UTF8.GetByteCount(cons)}, connections {Encoding.UTF8.GetByteCount(connections)} bytes");
            var parseCons = await MeasureAsync("parsing cons", n, w, 1, () => Task.FromResult(ConsParser.Parse(cons)));
            var connectionsBytes = Encoding.UTF8.GetBytes(connections).AsMemory(); // as the probe reads it, from the received bytes
            var parseConnections = await MeasureAsync("parsing connections", n, w, 1, () => Task.FromResult(AdminServerParser.ParseConnections(connectionsBytes)));
            results.Add(("clients", sessions));
            results.Add(("cons_bytes", Encoding.UTF8.GetByteCount(cons)));
            results.Add(("connections_bytes", Encoding.UTF8.GetByteCount(connections)));
            results.Add(("parse_cons_cpu_us", parseCons.CpuMicroseconds));
            results.Add(("parse_cons_alloc_kb", parseCons.AllocatedKilobytes));
            results.Add(("parse_connections_cpu_us", parseConnections.CpuMicroseconds));
            results.Add(("parse_connections_alloc_kb", parseConnections.AllocatedKilobytes));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static void CheckClients(MemberStatus status, string rawStart, int sessions)
    {
        Check(status, rawStart);
        if (status.Clients?.Count(c => c.SessionId is not null) != sessions)
        {
            throw new InvalidOperationException($"expected {sessions} sessions in the list, got {status.Clients?.Count.ToString(CultureInfo.InvariantCulture) ?? status.ClientsError}");
        }
    }

    // A failed probe or one that took the other path would measure the wrong thing.
    private static void Check(MemberStatus status, string rawStart)
    {
        if (status.Error is not null || status.Raw?.StartsWith(rawStart, StringComparison.Ordinal) != true)
        {
            throw new InvalidOperationException($"probe failed or took the other path: {status.Error ?? status.Raw?[..Math.Min(status.Raw.Length, 80)]}");
        }
    }

    private sealed record Measurement(double CpuMicroseconds, double UserMicroseconds, double AllocatedKilobytes, double[] Wall);

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
        var userBefore = process.UserProcessorTime;
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
        var user = (process.UserProcessorTime - userBefore).TotalMicroseconds / probes;
        var allocated = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1024.0 / probes;
        var sorted = wall.SortedMilliseconds();
        Report.Progress(string.Create(CultureInfo.InvariantCulture,
            $"{what}, {probes} probes: CPU {Report.Format(cpu)} µs/probe (user {Report.Format(user)}, sys {Report.Format(cpu - user)}), allocated {Report.Format(allocated)} KiB/probe, wall {Report.Distribution(sorted)}"));
        Report.Progress($"{what}: {GcSnapshot.Take().Since(gc)}");
        return new Measurement(cpu, user, allocated, sorted);
    }
}
