using System.Diagnostics;
using System.Globalization;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// Latencies in <see cref="Stopwatch"/> ticks as a log-linear histogram (64 buckets per power of two, so
/// under 1.6 % error), safe to add to from many threads, and small enough not to disturb the GC it measures.
/// </summary>
internal sealed class LatencyRecorder
{
    private const int SubBuckets = 64;
    private readonly long[] _counts = new long[64 * SubBuckets];
    private long _count;

    public long Offered => Interlocked.Read(ref _count);

    public void Add(long ticks)
    {
        Interlocked.Increment(ref _counts[Bucket(Math.Max(ticks, 1))]);
        Interlocked.Increment(ref _count);
    }

    /// <summary>The samples, each at the middle of its bucket, sorted, in milliseconds.</summary>
    public double[] SortedMilliseconds()
    {
        var result = new double[Offered];
        var n = 0;
        for (var b = 0; b < _counts.Length && n < result.Length; b++)
        {
            var value = Middle(b) * 1000.0 / Stopwatch.Frequency;
            for (var c = Interlocked.Read(ref _counts[b]); c > 0 && n < result.Length; c--)
            {
                result[n++] = value;
            }
        }

        return result[..n];
    }

    private static int Bucket(long ticks)
    {
        var log = 63 - (int)long.LeadingZeroCount(ticks);
        if (log < 6)
        {
            return (int)ticks; // exact below 64 ticks
        }

        var sub = (int)(ticks >> (log - 6)) - SubBuckets;
        return (log - 5) * SubBuckets + sub;
    }

    private static double Middle(int bucket)
    {
        if (bucket < SubBuckets)
        {
            return bucket;
        }

        var log = bucket / SubBuckets + 5;
        var sub = bucket % SubBuckets + SubBuckets;
        return (sub + 0.5) * Math.Pow(2, log - 6);
    }
}

internal static class Report
{
    /// <summary>Nearest-rank percentile of sorted samples; NaN when there are none.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string Distribution(double[] sorted) =>
        string.Join(", ", new[] { 50, 90, 95, 99, 99.9, 100 }.Select(p => $"p{p.ToString(CultureInfo.InvariantCulture)} {Format(Percentile(sorted, p))}")) + " ms";

    public static string Format(double value) => value.ToString(value >= 100 ? "0" : "0.###", CultureInfo.InvariantCulture);

    /// <summary>Progress for people, on standard error so standard output ends with the RESULT line.</summary>
    public static void Progress(string message) =>
        Console.Error.WriteLine($"[{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {message}");

    /// <summary>The 1-minute load average: the machine is shared, and this says how busy it was.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    /// <summary>The one machine-readable line a benchmark ends with.</summary>
    public static void Result(string benchmark, IEnumerable<(string Key, object Value)> values)
    {
        var parts = values.Select(v => $"{v.Key}={(v.Value is double d ? Format(d) : Convert.ToString(v.Value, CultureInfo.InvariantCulture))}");
        Console.WriteLine($"RESULT {benchmark} {string.Join(' ', parts)}");
    }
}

/// <summary>Garbage collections and pause time so far, to tell GC pauses from protocol latency.</summary>
internal readonly record struct GcSnapshot(int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated)
{
    public static GcSnapshot Take() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

    public string Since(GcSnapshot before) =>
        $"GC gen0/1/2 {Gen0 - before.Gen0}/{Gen1 - before.Gen1}/{Gen2 - before.Gen2}, paused {(Paused - before.Paused).TotalMilliseconds:0} ms, allocated {(Allocated - before.Allocated) >> 20} MiB";
}
