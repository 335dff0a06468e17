using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Workloads;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// The embedded coordination client when the member it is connected to dies, seen through a <see cref="WorkloadRunner"/>:
/// per session that was connected to the killed member, the time from the kill to its first successful request, and the
/// runner's errors by code. Phase "free": sessions may use every member; the leader and a follower are killed in turn,
/// each restarted before the next round. Phase "pinned": sessions list one follower only; it is killed and started again
/// at once, so its sessions can only come back through the restarted member.
/// </summary>
/// <remarks>
/// Options: <c>--rounds</c> per phase (default 10), <c>--rate</c> ops/s (default 500), <c>--sessions</c> (default 6),
/// <c>--tick</c> ms (default 200), <c>--seed</c> of the ensemble (default random, printed).
/// </remarks>
internal static class EmbeddedClientFaultsBenchmark
{
    private const string Name = "embedded-client-faults";
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan WindowAfterKill = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Steady = TimeSpan.FromSeconds(1);

    public static async Task RunAsync(BenchmarkArgs args)
    {
        var rounds = args.GetInt("rounds", 10);
        var settings = new EnsembleSettings { TickTime = args.GetInt("tick", 200), InitLimit = 10, SyncLimit = 5 };
        var spec = new WorkloadSpec { OperationsPerSecond = args.GetInt("rate", 500), WriteFraction = 0.5, ValueSize = 100, Sessions = args.GetInt("sessions", 6), Keys = 50 };
        var directory = Path.Combine(Path.GetTempPath(), $"qp-bench-client-faults-{Guid.NewGuid():N}");
        var seed = args.Get("seed") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : Random.Shared.Next();
        var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("client-faults", 3, settings), directory, seed: seed);
        var results = new List<(string Key, object Value)> { ("seed", seed), ("rounds", rounds), ("rate", spec.OperationsPerSecond), ("sessions", spec.Sessions), ("loadavg_start", Report.LoadAverage()) };
        Report.Progress($"seed {seed}, load average {Report.LoadAverage()}");
        try
        {
            await ensemble.StartAsync(CancellationToken.None);
            await EnsembleProbe.WaitForAllServingAsync(ensemble, TimeSpan.FromSeconds(30));
            var timed = TimedBackend.Wrap(ensemble);

            var free = await RunPhaseAsync(timed, spec, new ClientOptions(), rounds, pinned: null);
            Add(results, "free", free);

            var follower = (await ensemble.ProbeSnapshotAsync(TimeProvider.System, CancellationToken.None)).Statuses.First(m => m.State == PeerState.Following).ServerId;
            var pinned = await RunPhaseAsync(timed, spec, new ClientOptions { ServerIds = [follower] }, rounds, follower);
            Add(results, "pinned", pinned);
        }
        finally
        {
            await ensemble.DisposeAsync();
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        results.Add(("loadavg_end", Report.LoadAverage()));
        Report.Result(Name, results);
    }

    private static async Task<PhaseResult> RunPhaseAsync(TimedBackend backend, WorkloadSpec spec, ClientOptions client, int rounds, int? pinned)
    {
        var phase = pinned is null ? "free" : $"pinned to {pinned}";
        var recoveries = new List<double>();
        var latencies = new List<double>();
        var outcomes = new Dictionary<string, int>();
        var unrecovered = 0;
        await using var runner = new WorkloadRunner(backend.Backend, spec, new WorkloadRunnerOptions { Client = client });
        runner.Start();
        await UntilAsync(() => runner.Status is { State: WorkloadState.Running, SessionsOpen: var open } && open == spec.Sessions, "every session open");
        var before = runner.Status;
        for (var round = 0; round < rounds; round++)
        {
            var snapshot = await backend.Inner.ProbeSnapshotAsync(TimeProvider.System, CancellationToken.None);
            var victim = pinned ?? (round % 2 == 0 ? snapshot.LeaderId!.Value : snapshot.Statuses.First(m => m.State == PeerState.Following).ServerId);
            var affected = backend.Clients.Where(c => c.ConnectedServerId == victim).ToList();
            var killedAt = Stopwatch.GetTimestamp();
            await backend.Inner.StopMemberAsync(victim, StopMode.Kill, CancellationToken.None);
            if (pinned is not null)
            {
                await backend.Inner.StartMemberAsync(victim, CancellationToken.None);
            }

            var deadline = killedAt + (long)(RecoveryLimit.TotalSeconds * Stopwatch.Frequency);
            while (affected.Any(c => !c.Closed && !c.CallsSince(killedAt).Any(x => x.Outcome == "ok")) && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(5);
            }

            // Let whatever was in flight at the kill, or issued just after it, finish.
            var windowEnd = killedAt + Ticks(WindowAfterKill);
            while ((Stopwatch.GetTimestamp() < windowEnd || affected.Any(c => c.InFlightSince(windowEnd))) && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(5);
            }

            foreach (var c in affected)
            {
                var calls = c.CallsSince(killedAt);
                if (calls.Where(x => x.Outcome == "ok").Select(x => x.End).DefaultIfEmpty().Min() is var first && first > killedAt)
                {
                    recoveries.Add(Ms(first - killedAt));
                }
                else
                {
                    unrecovered++;
                }

                foreach (var call in calls.Where(x => x.Start <= killedAt + Ticks(WindowAfterKill)))
                {
                    latencies.Add(Ms(call.End - call.Start));
                    outcomes[call.Outcome] = outcomes.GetValueOrDefault(call.Outcome) + 1;
                }
            }

            Report.Progress($"{phase}, round {round}: killed server {victim}; {affected.Count} session(s) on it; status {Describe(runner.Status)}");
            await backend.Inner.StartMemberAsync(victim, CancellationToken.None);
            await EnsembleProbe.WaitForAllServingAsync(backend.Inner, TimeSpan.FromSeconds(30));
            await UntilAsync(() => runner.Status.SessionsOpen == spec.Sessions, "every session serving again");
            await Task.Delay(Steady);
        }

        var after = await runner.StopAsync(deleteKeySpace: false, CancellationToken.None);
        var sorted = recoveries.Order().ToArray();
        var around = latencies.Order().ToArray();
        Report.Progress($"{phase}: kill to first success per session {Report.Distribution(sorted)}; {unrecovered} not within {RecoveryLimit.TotalSeconds} s");
        Report.Progress($"{phase}: requests of those sessions in flight at the kill or issued within {WindowAfterKill.TotalSeconds} s of it: {around.Length}, " +
            $"latency {Report.Distribution(around)}; outcomes {string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}");
        Report.Progress($"{phase}: workload {Describe(after)}, {after.Skipped - before.Skipped} skipped");
        var errors = after.ErrorsByCode.ToDictionary(e => e.Key, e => e.Value - before.ErrorsByCode.GetValueOrDefault(e.Key));
        return new PhaseResult(sorted, around, unrecovered, errors, after.SessionsReopened - before.SessionsReopened, after.Skipped - before.Skipped);
    }

    private static void Add(List<(string Key, object Value)> results, string phase, PhaseResult r)
    {
        results.Add(($"{phase}_sessions_measured", r.Recoveries.Length));
        results.Add(($"{phase}_first_success_p50_ms", Report.Percentile(r.Recoveries, 50)));
        results.Add(($"{phase}_first_success_p99_ms", Report.Percentile(r.Recoveries, 99)));
        results.Add(($"{phase}_first_success_max_ms", Report.Percentile(r.Recoveries, 100)));
        results.Add(($"{phase}_unrecovered", r.Unrecovered));
        results.Add(($"{phase}_window_requests", r.Latencies.Length));
        results.Add(($"{phase}_window_latency_p50_ms", Report.Percentile(r.Latencies, 50)));
        results.Add(($"{phase}_window_latency_p99_ms", Report.Percentile(r.Latencies, 99)));
        results.Add(($"{phase}_window_latency_max_ms", Report.Percentile(r.Latencies, 100)));
        results.Add(($"{phase}_skipped", r.Skipped));
        results.Add(($"{phase}_reopened", r.Reopened));
        foreach (var code in new[] { CoordinationError.ConnectionLoss, CoordinationError.NoQuorum, CoordinationError.SessionMoved, CoordinationError.SessionExpired })
        {
            results.Add(($"{phase}_errors_{code}", r.Errors.GetValueOrDefault(code)));
        }

        results.Add(($"{phase}_errors_other", r.Errors.Where(e => e.Key is not (CoordinationError.ConnectionLoss or CoordinationError.NoQuorum or CoordinationError.SessionMoved or CoordinationError.SessionExpired)).Sum(e => e.Value)));
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"not {what} within 60 s");
            }

            await Task.Delay(10);
        }
    }

    private static string Describe(WorkloadStatus s) =>
        $"{s.Reads} reads, {s.Writes} writes, errors {string.Join(", ", s.ErrorsByCode.Select(e => $"{e.Key} {e.Value}"))}, p99 {s.LatencyP99?.TotalMilliseconds:0.#} ms, {s.SessionsOpen} open, {s.SessionsReopened} reopened";

    private sealed record PhaseResult(double[] Recoveries, double[] Latencies, int Unrecovered, Dictionary<CoordinationError, long> Errors, long Reopened, long Skipped);

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>
    /// A backend that passes every call through and wraps each client it opens in a <see cref="TimedClient"/>; a
    /// <see cref="DispatchProxy"/>, so the pass-through is not written out member by member.
    /// </summary>
    internal class TimedBackend : DispatchProxy
    {
        private readonly ConcurrentQueue<TimedClient> _clients = new();

        public IEnsembleBackend Inner { get; private set; } = null!;

        public IEnsembleBackend Backend { get; private set; } = null!;

        /// <summary>The clients not yet closed.</summary>
        public IEnumerable<TimedClient> Clients => _clients.Where(c => !c.Closed);

        public static TimedBackend Wrap(IEnsembleBackend inner)
        {
            var proxy = Create<IEnsembleBackend, TimedBackend>();
            var state = (TimedBackend)(object)proxy;
            state.Inner = inner;
            state.Backend = proxy;
            return state;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            switch (method!.Name)
            {
                case nameof(IEnsembleBackend.OpenClientAsync):
                    return OpenClientAsync((ClientOptions)args![0]!, (CancellationToken)args[1]!);
                case nameof(IAsyncDisposable.DisposeAsync):
                    return ValueTask.CompletedTask; // the benchmark disposes the inner backend itself
            }

            try
            {
                return method.Invoke(Inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }
        }

        private async Task<ICoordinationClient> OpenClientAsync(ClientOptions options, CancellationToken cancellationToken)
        {
            var client = new TimedClient(await Inner.OpenClientAsync(options, cancellationToken));
            _clients.Enqueue(client);
            return client;
        }
    }

    /// <summary>A request as a client saw it: when it started and ended (Stopwatch ticks), and how.</summary>
    internal readonly record struct Call(long Start, long End, string Outcome);

    /// <summary>A client that keeps the start, end and outcome of every request.</summary>
    internal sealed class TimedClient(ICoordinationClient inner) : ICoordinationClient
    {
        private readonly ConcurrentQueue<Call> _calls = new();
        private readonly ConcurrentDictionary<long, long> _inFlight = new();
        private long _nextCall;

        public bool Closed { get; private set; }

        public long SessionId => inner.SessionId;

        public int? ConnectedServerId => inner.ConnectedServerId;

        public long LastZxidSeen => inner.LastZxidSeen;

        /// <summary>Requests in flight at <paramref name="from"/> or started since, that have ended.</summary>
        public List<Call> CallsSince(long from) => [.. _calls.Where(c => c.End > from)];

        /// <summary>Whether a request started before <paramref name="timestamp"/> is still waiting.</summary>
        public bool InFlightSince(long timestamp) => _inFlight.Values.Any(start => start <= timestamp);

        public Task<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode = CreateMode.Persistent, CancellationToken cancellationToken = default) =>
            Timed(() => inner.CreateAsync(path, data, mode, cancellationToken));

        public Task<NodeData> GetDataAsync(string path, CancellationToken cancellationToken = default) => Timed(() => inner.GetDataAsync(path, cancellationToken));

        public Task<NodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int expectedVersion = -1, CancellationToken cancellationToken = default) =>
            Timed(() => inner.SetDataAsync(path, data, expectedVersion, cancellationToken));

        public Task DeleteAsync(string path, int expectedVersion = -1, CancellationToken cancellationToken = default) =>
            Timed(async () =>
            {
                await inner.DeleteAsync(path, expectedVersion, cancellationToken);
                return true;
            });

        public Task<NodeStat?> ExistsAsync(string path, CancellationToken cancellationToken = default) => Timed(() => inner.ExistsAsync(path, cancellationToken));

        public Task<IReadOnlyList<string>> GetChildrenAsync(string path, CancellationToken cancellationToken = default) => Timed(() => inner.GetChildrenAsync(path, cancellationToken));

        public Task SyncAsync(string path = "/", CancellationToken cancellationToken = default) =>
            Timed(async () =>
            {
                await inner.SyncAsync(path, cancellationToken);
                return true;
            });

        public ValueTask DisposeAsync()
        {
            Closed = true;
            return inner.DisposeAsync();
        }

        private async Task<T> Timed<T>(Func<Task<T>> request)
        {
            var start = Stopwatch.GetTimestamp();
            var id = Interlocked.Increment(ref _nextCall);
            _inFlight[id] = start;
            var outcome = "other";
            try
            {
                var result = await request().ConfigureAwait(false);
                outcome = "ok";
                return result;
            }
            catch (CoordinationException e)
            {
                outcome = e.Error.ToString();
                throw;
            }
            finally
            {
                _calls.Enqueue(new Call(start, Stopwatch.GetTimestamp(), outcome));
                _inFlight.TryRemove(id, out _);
            }
        }
    }
}
