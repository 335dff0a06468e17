using QuorumPortal.Engine.Events;

namespace QuorumPortal.Portal.History;

/// <summary>Throughput and latency in one bucket of a <see cref="RateSeries"/>; <see cref="At"/> is the bucket's start.</summary>
public readonly record struct RatePoint(DateTimeOffset At, double ReadsPerSecond, double WritesPerSecond, double LatencyAvg, double LatencyMax);

/// <summary>
/// <see cref="ThroughputSample"/>s of one ensemble (or one member) folded into one-second buckets over a
/// <see cref="Window"/>, so memory is fixed whatever the probe interval. A bucket's rates are the
/// interval-weighted mean of its samples (requests over time), its average latency likewise, its maximum the
/// maximum. Not thread-safe: <see cref="EnsembleHistory"/> locks.
/// </summary>
public sealed class RateSeries
{
    private readonly RingBuffer<Bucket> _buckets;
    private RateChart? _chart;

    public RateSeries(TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromSeconds(1));
        Window = window;
        _buckets = new RingBuffer<Bucket>((int)Math.Ceiling(window.TotalSeconds) + 1);
    }

    public TimeSpan Window { get; }

    /// <summary>Changes with every sample added, so a reader can skip a copy when nothing changed.</summary>
    public long Version { get; private set; }

    public int Count => _buckets.Count;

    /// <summary>Folds <paramref name="sample"/> into the bucket of its second; a sample older than the window is dropped.</summary>
    public void Add(ThroughputSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var second = sample.Timestamp.ToUnixTimeSeconds();
        var weight = sample.Interval > TimeSpan.Zero ? sample.Interval.TotalSeconds : 1;
        if (_buckets.Count > 0 && second <= _buckets.Ref(_buckets.Count - 1).Second)
        {
            // Same second as the newest bucket, or a late sample (a clock stepped back): fold it into its bucket if kept.
            for (var i = _buckets.Count - 1; i >= 0; i--)
            {
                ref var bucket = ref _buckets.Ref(i);
                if (bucket.Second == second)
                {
                    bucket.Add(sample, weight);
                    Version++;
                    return;
                }

                if (bucket.Second < second)
                {
                    return;
                }
            }

            return;
        }

        var fresh = new Bucket { Second = second };
        fresh.Add(sample, weight);
        _buckets.Add(fresh);
        var oldest = second - (long)Math.Ceiling(Window.TotalSeconds);
        while (_buckets.Count > 0 && _buckets.Ref(0).Second < oldest)
        {
            _buckets.RemoveOldest();
        }

        Version++;
    }

    /// <summary>Appends every bucket, oldest first, to <paramref name="into"/> (which the caller reuses between reads).</summary>
    public void CopyTo(List<RatePoint> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        for (var i = 0; i < _buckets.Count; i++)
        {
            into.Add(_buckets.Ref(i).ToPoint());
        }
    }

    /// <summary>The chart of the buckets now, built once per <see cref="Version"/> and shared by every reader.</summary>
    public RateChart Chart()
    {
        if (_chart is not { } chart || chart.Version != Version)
        {
            var points = new List<RatePoint>(_buckets.Count);
            CopyTo(points);
            _chart = chart = RateChart.Build(Version, Window, points);
        }

        return chart;
    }

    /// <summary>The newest bucket, if any.</summary>
    public RatePoint? Newest => _buckets.Count == 0 ? null : _buckets.Ref(_buckets.Count - 1).ToPoint();

    private struct Bucket
    {
        public long Second;
        private double _weight;
        private double _reads;
        private double _writes;
        private double _latencyAvg;
        private double _latencyMax;

        public void Add(ThroughputSample sample, double weight)
        {
            _weight += weight;
            _reads += sample.ReadsPerSecond * weight;
            _writes += sample.WritesPerSecond * weight;
            _latencyAvg += sample.LatencyAvg * weight;
            _latencyMax = Math.Max(_latencyMax, sample.LatencyMax);
        }

        public readonly RatePoint ToPoint() => new(
            DateTimeOffset.FromUnixTimeSeconds(Second),
            _reads / _weight,
            _writes / _weight,
            _latencyAvg / _weight,
            _latencyMax);
    }
}
