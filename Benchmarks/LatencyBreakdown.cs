using System.Collections.Concurrent;
using System.Diagnostics;
using QuorumPortal.Engine.Embedded;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// Where a phase's slow requests come from, measured from outside the Engine: each member's loop lag (a probe
/// posted every millisecond, timed until it runs: a loop busy or blocked shows here), every garbage collection
/// pause (polled), the process's CPU use, and for each request slower than <see cref="SlowMilliseconds"/> whether
/// a GC pause or a loop stall overlapped it. Enabled with <c>--breakdown true</c>.
/// </summary>
internal sealed class LatencyBreakdown : IDisposable
{
    public const double SlowMilliseconds = 2;
    private const double StallMilliseconds = 1;

    private readonly EmbeddedEnsemble _ensemble;
    private readonly Thread _thread;
    private readonly ConcurrentDictionary<int, LatencyRecorder> _lag = new();
    private readonly ConcurrentQueue<(long Start, long End)> _stalls = new();
    private readonly ConcurrentQueue<(long Start, long End)> _slow = new();
    private readonly List<(long Start, long End, double Ms)> _pauses = [];
    private readonly ConcurrentQueue<(int Generation, long Promoted, double PauseMs)> _collections = new();
    private readonly TimeSpan _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private volatile bool _stopping;
    private bool _disposed;

    public LatencyBreakdown(EmbeddedEnsemble ensemble)
    {
        _ensemble = ensemble;
        _thread = new Thread(Run) { Name = "latency-breakdown", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Records one request; only slow ones are kept.</summary>
    public void Request(long started, long ticks)
    {
        if (ticks * 1000.0 / Stopwatch.Frequency > SlowMilliseconds)
        {
            _slow.Enqueue((started, started + ticks));
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stopping = true;
        _thread.Join();
        var wall = Stopwatch.GetElapsedTime(_startedAt);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart;
        Report.Progress($"breakdown: process CPU {cpu.TotalSeconds / wall.TotalSeconds * 100:0}% of one core over {wall.TotalSeconds:0.0} s ({Environment.ProcessorCount} cores)");
        foreach (var (id, lag) in _lag.OrderBy(l => l.Key))
        {
            Report.Progress($"breakdown: server {id} loop lag {Report.Distribution(lag.SortedMilliseconds())}");
        }

        var pauses = _pauses.Select(p => p.Ms).Order().ToArray();
        Report.Progress($"breakdown: {pauses.Length} GC pauses, {pauses.Sum():0} ms in all, {pauses.Count(p => p > StallMilliseconds)} over {StallMilliseconds} ms, max {(pauses.Length == 0 ? 0 : pauses[^1]):0.0} ms");

        foreach (var generation in _collections.GroupBy(c => c.Generation).OrderBy(g => g.Key))
        {
            Report.Progress($"breakdown: gen{generation.Key} collections {generation.Count()}, promoted avg {generation.Average(c => c.Promoted) / 1024:0} KiB max {generation.Max(c => c.Promoted) / 1024:0} KiB, pause avg {generation.Average(c => c.PauseMs):0.00} ms max {generation.Max(c => c.PauseMs):0.00} ms");
        }

        var stalls = _stalls.ToArray();
        int gc = 0, stalled = 0, neither = 0;
        foreach (var (start, end) in _slow)
        {
            if (_pauses.Any(p => p.Start < end && p.End > start))
            {
                gc++;
            }
            else if (stalls.Any(s => s.Start < end && s.End > start))
            {
                stalled++;
            }
            else
            {
                neither++;
            }
        }

        Report.Progress($"breakdown: {gc + stalled + neither} requests over {SlowMilliseconds} ms: {gc} overlap a GC pause, {stalled} a loop stall over {StallMilliseconds} ms (no GC), {neither} neither");
    }

    private void Run()
    {
        var collections = GC.CollectionCount(0);
        var paused = GC.GetTotalPauseDuration();
        while (!_stopping)
        {
            var now = Stopwatch.GetTimestamp();
            var c = GC.CollectionCount(0);
            var p = GC.GetTotalPauseDuration();
            if (c != collections || p != paused)
            {
                // Polled, so the pause is placed just before it was seen; good to a millisecond.
                var ms = (p - paused).TotalMilliseconds;
                _pauses.Add((now - (long)(ms * Stopwatch.Frequency / 1000) - Stopwatch.Frequency / 1000, now, ms));
                var info = GC.GetGCMemoryInfo(GCKind.Any);
                _collections.Enqueue((info.Generation, info.PromotedBytes, info.PauseDurations[0].TotalMilliseconds));
                (collections, paused) = (c, p);
            }

            foreach (var member in _ensemble.Members)
            {
                if (_ensemble.RunningPeer(member.ServerId) is not { } peer)
                {
                    continue;
                }

                var recorder = _lag.GetOrAdd(member.ServerId, _ => new LatencyRecorder());
                var sent = Stopwatch.GetTimestamp();
                peer.Loop.Post(() =>
                {
                    var ran = Stopwatch.GetTimestamp();
                    recorder.Add(ran - sent);
                    if ((ran - sent) * 1000.0 / Stopwatch.Frequency > StallMilliseconds)
                    {
                        _stalls.Enqueue((sent, ran));
                    }
                });
            }

            Thread.Sleep(1);
        }
    }
}
