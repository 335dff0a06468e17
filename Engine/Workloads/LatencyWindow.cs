using System.Numerics;

namespace QuorumPortal.Engine.Workloads;

/// <summary>
/// Latencies and completions over a sliding window: a ring of slots, each a log-linear histogram of microseconds
/// (16 buckets per power of two, so a percentile is within 6.25 % of the true value). Recording is a bucket
/// increment under a lock; nothing is kept per request, so 100,000 requests a second cost no memory.
/// </summary>
internal sealed class LatencyWindow
{
    private const int SubBits = 4;
    private const int SubBuckets = 1 << SubBits;

    // Up to 2^36 µs (19 hours); anything longer lands in the last bucket.
    private const int MaxExponent = 36;
    private const int BucketCount = (MaxExponent - SubBits + 2) * SubBuckets;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly long _slotTicks;
    private readonly Slot[] _slots;

    public LatencyWindow(TimeProvider time, TimeSpan window, int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromMilliseconds(slots));
        _time = time;
        _origin = time.GetTimestamp();
        _slotTicks = (long)(window.TotalSeconds * time.TimestampFrequency / slots);
        _slots = [.. Enumerable.Range(0, slots).Select(_ => new Slot())];
        Window = window;
    }

    public TimeSpan Window { get; }

    public void Record(TimeSpan latency)
    {
        var bucket = BucketOf((long)latency.TotalMicroseconds);
        var index = CurrentSlot();
        lock (_gate)
        {
            var slot = Current(index);
            slot.Counts[bucket]++;
            slot.Total++;
        }
    }

    /// <summary>
    /// Completions per second over the window's finished slots (the slot being filled would read low), and the
    /// latency percentiles over every slot in the window; null percentiles when nothing completed.
    /// </summary>
    public (double PerSecond, TimeSpan? P50, TimeSpan? P99) Read()
    {
        var now = CurrentSlot();
        var merged = new long[BucketCount];
        long total = 0, finished = 0;
        lock (_gate)
        {
            foreach (var slot in _slots)
            {
                if (slot.Index > now - _slots.Length && slot.Index <= now)
                {
                    for (var i = 0; i < BucketCount; i++)
                    {
                        merged[i] += slot.Counts[i];
                    }

                    total += slot.Total;
                    finished += slot.Index < now ? slot.Total : 0;
                }
            }
        }

        // Before the window has filled, divide by the finished slots there have been.
        var finishedSlots = Math.Min(_slots.Length - 1, now);
        var perSecond = finishedSlots == 0 ? 0 : finished / (finishedSlots * (double)_slotTicks / _time.TimestampFrequency);
        return total == 0 ? (perSecond, null, null) : (perSecond, Percentile(merged, total, 0.50), Percentile(merged, total, 0.99));
    }

    internal static int BucketOf(long micros)
    {
        if (micros < SubBuckets)
        {
            return (int)Math.Max(0, micros);
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)micros);
        if (exponent > MaxExponent)
        {
            return BucketCount - 1;
        }

        var shift = exponent - SubBits;
        return ((shift + 1) * SubBuckets) + (int)((micros >> shift) & (SubBuckets - 1));
    }

    /// <summary>The largest value that falls in <paramref name="bucket"/>: a percentile is never reported low.</summary>
    internal static long UpperBoundOf(int bucket)
    {
        if (bucket < SubBuckets)
        {
            return bucket;
        }

        var shift = (bucket / SubBuckets) - 1;
        var sub = bucket % SubBuckets;
        return ((long)(SubBuckets + sub + 1) << shift) - 1;
    }

    private static TimeSpan Percentile(long[] counts, long total, double quantile)
    {
        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return TimeSpan.FromMicroseconds(UpperBoundOf(i));
            }
        }

        return TimeSpan.FromMicroseconds(UpperBoundOf(counts.Length - 1));
    }

    private long CurrentSlot() => (_time.GetTimestamp() - _origin) / _slotTicks;

    private Slot Current(long index)
    {
        var slot = _slots[index % _slots.Length];
        // A completion that computed its slot just before the ring moved on counts in the newer slot.
        if (slot.Index < index)
        {
            Array.Clear(slot.Counts);
            slot.Total = 0;
            slot.Index = index;
        }

        return slot;
    }

    private sealed class Slot
    {
        public long Index { get; set; } = -1;

        public long[] Counts { get; } = new long[BucketCount];

        public long Total { get; set; }
    }
}
