using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Operations;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// How long "Expand to 5" takes: a fresh 3-member ensemble (tickTime 200, files on disk), every member serving,
/// then <see cref="AddMembersOperation.Expand"/> through the <see cref="OperationCoordinator"/> the portal uses —
/// from the click (start) to the operation's end (five voters synced, the leader stable on two probes). Each
/// trial uses a new ensemble. Per-step medians show where the time goes.
/// </summary>
/// <remarks>Options: <c>--backend embedded|zookeeper|both</c> (default both), <c>--trials</c> (default 10 embedded, 5 ZooKeeper).</remarks>
internal static class ExpandBenchmark
{
    private const string Name = "expand";

    public static async Task RunAsync(BenchmarkArgs args)
    {
        var backend = args.Get("backend") ?? "both";
        var results = new List<(string Key, object Value)>();
        if (backend is "both" or "embedded")
        {
            results.AddRange(await MeasureAsync("embedded", args.GetInt("trials", 10), directory =>
                new EmbeddedEnsemble(EnsembleSpec.OfSize("expand", 3, EnsembleSettings.Fast), directory)));
        }

        if (backend is "both" or "zookeeper")
        {
            results.AddRange(await MeasureAsync("zookeeper", args.GetInt("trials", 5), directory =>
                new QuorumPortal.Engine.ZooKeeper.LocalZooKeeperEnsemble(EnsembleSpec.OfSize("expand", 3, EnsembleSettings.Fast, BackendKind.LocalZooKeeper), directory)));
        }

        Report.Result(Name, results);
    }

    private static async Task<IEnumerable<(string, object)>> MeasureAsync(string label, int trials, Func<string, IEnsembleBackend> create)
    {
        var totals = new List<double>();
        var steps = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        for (var i = 0; i < trials; i++)
        {
            var directory = Path.Combine(Path.GetTempPath(), $"qp-bench-expand-{Guid.NewGuid():N}");
            var ensemble = create(directory);
            await using var coordinator = new OperationCoordinator(new InMemoryOperationJournal(), TimeProvider.System, NullLogger<OperationCoordinator>.Instance);
            try
            {
                await ensemble.StartAsync(CancellationToken.None);
                var ready = await ensemble.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, TimeSpan.FromSeconds(60));

                var clicked = Stopwatch.GetTimestamp();
                var start = await coordinator.StartAsync(ensemble, AddMembersOperation.Expand(ready), new OperationRequest("benchmark"), CancellationToken.None);
                var record = await start.Completion;
                var ms = Stopwatch.GetElapsedTime(clicked).TotalMilliseconds;
                if (record.State != OperationState.Succeeded)
                {
                    throw new InvalidOperationException($"{label} trial {i + 1}: {record.State}: {record.Error}");
                }

                totals.Add(ms);
                foreach (var step in record.Steps)
                {
                    // "server.4: catch up" and "server.5: catch up" are one kind of step.
                    var kind = step.Name[(step.Name.IndexOf(':', StringComparison.Ordinal) + 2)..];
                    (steps.TryGetValue(kind, out var list) ? list : steps[kind] = []).Add(step.Duration!.Value.TotalMilliseconds);
                }

                Report.Progress($"{label} trial {i + 1}/{trials}: Expand to 5 took {Report.Format(ms)} ms");
            }
            finally
            {
                await ensemble.StopAsync(StopMode.Kill, CancellationToken.None);
                await ensemble.DisposeAsync();
                TryDelete(directory);
            }
        }

        var sorted = totals.Order().ToArray();
        Report.Progress($"{label}: Expand to 5 {Report.Distribution(sorted)}; per joiner step, median: " +
            string.Join(", ", steps.Select(s => $"{s.Key} {Report.Format(Report.Percentile([.. s.Value.Order()], 50))} ms")));
        return
        [
            ($"{label}_trials", trials),
            ($"{label}_p50_ms", Report.Percentile(sorted, 50)),
            ($"{label}_max_ms", sorted[^1]),
        ];
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A JVM may still be closing its files; a temp directory left behind is harmless.
        }
    }
}
