using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using QuorumPortal.Engine.Workloads;
using QuorumPortal.Portal.History;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// Server memory per open dashboard: the portal (embedded demo, probes every 250 ms) on Kestrel in this process, and
/// Chromium pages on the ensemble page, each a Blazor circuit with its own subscription to the demo's events. The pages
/// are opened by a child process (this program with <c>--connect</c>), so Playwright's own objects for 50 pages are
/// not in the heap being measured. The demo runs a small workload through the portal's <see cref="WorkloadManager"/>,
/// and no page opens before the charts' window holds <c>--fill-seconds</c> points, so the charts are as full as an
/// operator's after five minutes and move. Memory is read after forced full compacting collections: with 0, 1 and
/// <c>--sessions</c> circuits open, each page showing the live leader, its DOM and both charts still changing.
/// </summary>
/// <remarks>
/// Per circuit = (memory at N − memory at 1) / (N − 1), so the first circuit's one-time costs (JIT, caches) are not
/// spread over the others. Options: <c>--sessions</c> (default 50), <c>--fill-seconds</c> (points the charts hold
/// before the first page opens, default the whole window, 300), <c>--rate</c> (workload ops/s, default 200, 0 for
/// none), <c>--gcdump DIR</c> (a heap dump at each reading, by <c>--gcdump-tool</c>, default <c>dotnet-gcdump</c>).
/// </remarks>
internal static class CircuitsBenchmark
{
    private const string Name = "circuits";
    private const string Demo = "demo";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    // Resolves once the ensemble's part of the page has changed twice, and its two charts have been redrawn, i.e. live
    // updates reach both.
    private const string UpdatesScript = """
        (ensemble) => new Promise(resolve => {
          const root = document.querySelector(`[data-ensemble="${ensemble}"]`);
          const charts = root.querySelector('.qp-charts');
          let changes = 0, chartChanges = 0;
          const done = () => {
            if (changes >= 2 && chartChanges >= 1 && charts.querySelectorAll('svg path').length >= 2) {
              observer.disconnect();
              resolve(changes);
            }
          };
          const observer = new MutationObserver(records => {
            changes += records.length;
            chartChanges += records.filter(r => charts.contains(r.target) && (r.target.nodeType === 1 ? r.target : r.target.parentElement)?.closest('svg')).length;
            done();
          });
          observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
        })
        """;

    public static Task RunAsync(BenchmarkArgs args) =>
        args.Get("connect") is { } address
            ? RunBrowserAsync(new Uri(address))
            : RunServerAsync(new Options(
                args.GetInt("sessions", 50),
                args.GetInt("fill-seconds", (int)EnsembleHistory.ChartWindow.TotalSeconds),
                args.GetInt("rate", new WorkloadSpec().OperationsPerSecond),
                args.Get("gcdump"),
                args.Get("gcdump-tool") ?? "dotnet-gcdump"));

    private static async Task RunServerAsync(Options options)
    {
        var sessions = options.Sessions;
        var window = (int)EnsembleHistory.ChartWindow.TotalSeconds;
        if (sessions < 2)
        {
            throw new ArgumentException($"--sessions must be at least 2 (was {sessions})");
        }

        if (options.FillSeconds is < 0 || options.FillSeconds > window)
        {
            throw new ArgumentException($"--fill-seconds must be 0 to {window}, the charts' window (was {options.FillSeconds})");
        }

        if (options.Rate < 0)
        {
            throw new ArgumentException($"--rate must be 0 (no workload) or more operations per second (was {options.Rate})");
        }

        var loadStart = Report.LoadAverage();
        await using var portal = await PortalHost.StartAsync(new Dictionary<string, string?>());
        if (!portal.Registry.TryGet(Demo, out var demo))
        {
            throw new InvalidOperationException("the portal did not start its demo ensemble");
        }

        await EnsembleProbe.WaitForAllServingAsync(demo.Backend, Deadline);

        // A small workload through the portal's own manager, so the charts and the workload panel move.
        var workloads = portal.Services.GetRequiredService<WorkloadManager>();
        if (options.Rate > 0)
        {
            workloads.Start(Demo, new WorkloadSpec { OperationsPerSecond = options.Rate });
        }

        var chart = new ChartFill(portal.Services.GetRequiredService<EnsembleHistoryService>());
        await chart.WaitAsync(options.FillSeconds);

        // The portal's own subscribers (shared history, event history) are there before any page.
        var baseline = demo.Events.SubscriberCount;
        var none = await MeasureAsync(0);

        using var browser = BrowserProcess.Start(portal.Address);
        await browser.OpenAsync(1);
        var one = await MeasureWithAsync(1);
        await browser.OpenAsync(sessions - 1);
        var all = await MeasureWithAsync(sessions);
        var workload = workloads.TryGet(Demo, out var status) ? status : null;
        await browser.ExitAsync();

        var circuits = sessions - 1;
        double PerCircuit(Func<MemoryReading, long> value) => (value(all) - value(one)) / (double)circuits / (1 << 20);
        var managed = PerCircuit(r => r.Managed);
        var heap = PerCircuit(r => r.Heap);
        var committed = PerCircuit(r => r.Committed);
        var workingSet = PerCircuit(r => r.WorkingSet);
        Report.Progress($"per circuit ({sessions} vs 1 open): managed {Report.Format(managed)} MB, GC heap {Report.Format(heap)} MB, GC committed {Report.Format(committed)} MB, working set {Report.Format(workingSet)} MB");
        Report.Progress($"first circuit (1 vs none): managed {Report.Format((one.Managed - none.Managed) / (double)(1 << 20))} MB, working set {Report.Format((one.WorkingSet - none.WorkingSet) / (double)(1 << 20))} MB");
        Report.Result(Name,
        [
            ("sessions", sessions),
            ("loadavg_start", loadStart),
            ("workload_ops_s", workload?.OperationsPerSecond ?? 0),
            ("workload_errors", workload?.Errors ?? 0),
            ("chart_window_s", window),
            ("chart_points_one", one.ChartPoints),
            ("chart_points_all", all.ChartPoints),
            ("managed_none_mb", none.Managed / (double)(1 << 20)),
            ("managed_one_mb", one.Managed / (double)(1 << 20)),
            ("managed_all_mb", all.Managed / (double)(1 << 20)),
            ("per_circuit_managed_mb", managed),
            ("per_circuit_heap_mb", heap),
            ("per_circuit_committed_mb", committed),
            ("per_circuit_working_set_mb", workingSet),
            ("working_set_all_mb", all.WorkingSet / (double)(1 << 20)),
            ("loadavg_end", Report.LoadAverage()),
        ]);

        async Task<MemoryReading> MeasureWithAsync(int open)
        {
            var subscribers = demo.Events.SubscriberCount - baseline;
            if (subscribers != open)
            {
                throw new InvalidOperationException($"{open} pages are open but the demo has {subscribers} subscribers beyond the portal's own {baseline}; each page should be one circuit with one subscription");
            }

            return await MeasureAsync(open);
        }

        async Task<MemoryReading> MeasureAsync(int open)
        {
            var reading = Measure() with { ChartPoints = chart.Points() };
            Report.Progress($"{open} circuit(s): {reading}");
            if (options.GcDumpDirectory is { } directory)
            {
                await GcDumpAsync(options.GcDumpTool, Path.Combine(directory, $"circuits-{open}.gcdump"));
            }

            return reading;
        }
    }

    /// <summary>A heap dump of this process by the <c>dotnet-gcdump</c> tool, for finding where the memory goes.</summary>
    private static async Task GcDumpAsync(string tool, string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var info = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in new[] { "collect", "-p", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "-o", file })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{tool} did not start");
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Deadline);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {output}");
        }

        Report.Progress($"heap dump written to {file}");
    }

    /// <summary>Median of five readings, each after two forced, blocking, compacting full collections.</summary>
    private static MemoryReading Measure()
    {
        var readings = new List<MemoryReading>();
        for (var i = 0; i < 5; i++)
        {
            for (var pass = 0; pass < 2; pass++)
            {
                GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
            }

            using var process = Process.GetCurrentProcess();
            var info = GC.GetGCMemoryInfo();
            readings.Add(new MemoryReading(GC.GetTotalMemory(forceFullCollection: false), info.HeapSizeBytes, info.TotalCommittedBytes, process.WorkingSet64));
        }

        return readings.OrderBy(r => r.Managed).ElementAt(readings.Count / 2);
    }

    /// <summary>The child: opens pages on command (<c>open N</c> on standard input), answers <c>ready N</c> when every open page is live.</summary>
    private static async Task RunBrowserAsync(Uri address)
    {
        await using var chromium = await Chromium.LaunchAsync();
        var context = await chromium.Browser.NewContextAsync();
        var pages = new List<IPage>();
        while (await Console.In.ReadLineAsync() is { } command && command.StartsWith("open ", StringComparison.Ordinal))
        {
            var count = int.Parse(command[5..], CultureInfo.InvariantCulture);
            for (var i = 0; i < count; i++)
            {
                var page = await context.NewPageAsync();
                await page.GotoAsync(new Uri(address, DashboardDom.EnsemblePage(Demo)).ToString());
                await page.WaitForFunctionAsync(DashboardDom.SingleLeaderScript, new object?[] { Demo, null, 3 }, new PageWaitForFunctionOptions { Timeout = (float)Deadline.TotalMilliseconds });
                pages.Add(page);
            }

            // Every page, not only the new ones, must still be receiving updates when the server is measured.
            await Task.WhenAll(pages.Select(p => p.EvaluateAsync<int>(UpdatesScript, Demo).WaitAsync(Deadline)));
            Report.Progress($"browser: {pages.Count} pages show the leader and keep updating");
            Console.WriteLine($"ready {pages.Count}");
        }

        await context.CloseAsync();
    }

    private readonly record struct MemoryReading(long Managed, long Heap, long Committed, long WorkingSet, int ChartPoints = 0)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"managed {Managed / (double)(1 << 20):0.0} MB, GC heap {Heap / (double)(1 << 20):0.0} MB, GC committed {Committed / (double)(1 << 20):0.0} MB, working set {WorkingSet / (double)(1 << 20):0.0} MB, {ChartPoints} chart points");
    }

    private sealed record Options(int Sessions, int FillSeconds, int Rate, string? GcDumpDirectory, string GcDumpTool);

    /// <summary>How much of the charts' window the demo's shared history holds: one point per second.</summary>
    private sealed class ChartFill(EnsembleHistoryService histories)
    {
        private readonly List<RatePoint> _points = [];

        public int Points()
        {
            if (!histories.TryGet(Demo, out var history))
            {
                return 0;
            }

            history.CopyRates(null, _points);
            return _points.Count;
        }

        /// <summary>Waits until the ensemble's series holds <paramref name="seconds"/> one-second points.</summary>
        public async Task WaitAsync(int seconds)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds) + Deadline;
            var reported = DateTime.MinValue;
            while (Points() < seconds)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"the charts hold {Points()} of {seconds} points after waiting {seconds} s and {Deadline.TotalSeconds} s more");
                }

                if (DateTime.UtcNow - reported > TimeSpan.FromSeconds(30))
                {
                    Report.Progress($"filling the charts' window: {Points()} of {seconds} points");
                    reported = DateTime.UtcNow;
                }

                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>This program started again as the browser side, driven over its standard input and output.</summary>
    private sealed class BrowserProcess : IDisposable
    {
        private readonly Process _process;

        private BrowserProcess(Process process) => _process = process;

        public static BrowserProcess Start(Uri address)
        {
            var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this program's path to start the browser side");
            var info = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                info.ArgumentList.Add(typeof(CircuitsBenchmark).Assembly.Location);
            }

            foreach (var argument in new[] { Name, "--connect", address.ToString() })
            {
                info.ArgumentList.Add(argument);
            }

            return new BrowserProcess(Process.Start(info) ?? throw new InvalidOperationException($"{self} did not start"));
        }

        public async Task OpenAsync(int pages)
        {
            await _process.StandardInput.WriteLineAsync($"open {pages}");
            await _process.StandardInput.FlushAsync();
            using var timeout = new CancellationTokenSource(Deadline + TimeSpan.FromSeconds(pages * 10));
            var line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null || !line.StartsWith("ready ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the browser side failed while opening {pages} pages (exit code {(_process.HasExited ? _process.ExitCode : "none yet")}); see its messages above");
            }
        }

        public async Task ExitAsync()
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(Deadline);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
