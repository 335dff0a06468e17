using MudBlazor;

namespace QuorumPortal.Portal.History;

/// <summary>
/// One of a <see cref="RateChart"/>'s two charts: the lines for MudBlazor's time-series chart (<c>MudChart</c> with
/// <see cref="ChartType.Timeseries"/>) and its options. Shared by every page, so never changed after it is built:
/// MudBlazor only reads both (series are hidden through the legend only when <c>CanHideSeries</c> is set, which the
/// portal never does).
/// </summary>
public sealed record ChartPanel(List<ChartSeries<double>> Series, TimeSeriesChartOptions Options);

/// <summary>
/// One <see cref="RateSeries"/> at one <see cref="Version"/>, ready for the ensemble and member pages' charts:
/// writes/s and reads/s (<see cref="Rates"/>), latency average and maximum in ms (<see cref="Latency"/>), over the
/// series' <see cref="Window"/> ending at its <see cref="Newest"/> one-second bucket (shown exactly, as numbers above
/// the charts). The lines have one point per <see cref="PointSpacing"/> (<see cref="Points"/> of them), times in the
/// server's local time. Immutable and shared: every page that charts the same series at the same version gets the same
/// instance, so the points are held once however many dashboards are open (docs/benchmarks.md, circuits).
/// </summary>
public sealed record RateChart(long Version, TimeSpan Window, RatePoint? Newest, int Count, int Points, ChartPanel Rates, ChartPanel Latency)
{
    /// <summary>
    /// Time between two points of a line: the 1-second buckets are averaged in 2-second steps (their maximum latency
    /// is the maximum), which halves what every open chart draws and keeps (docs/benchmarks.md, circuits).
    /// </summary>
    public static readonly TimeSpan PointSpacing = TimeSpan.FromSeconds(2);

    // Writes and reads in the theme's primary and secondary colours, as on the cards' numbers and sparklines.
    private static readonly string[] RatePalette = ["#594ae2", "#ff4081"];
    private static readonly string[] LatencyPalette = ["#2196f3", "#ff9800"];

    // Buckets further apart than this (two seconds missing) break the line, so a gap in probing shows as a gap.
    private static readonly TimeSpan GapAfter = TimeSpan.FromSeconds(3);

    /// <summary>Builds the chart of <paramref name="buckets"/> (one-second buckets, oldest first) over <paramref name="window"/>.</summary>
    public static RateChart Build(long version, TimeSpan window, IReadOnlyList<RatePoint> buckets)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        var steps = Downsample(buckets);
        var newest = buckets.Count > 0 ? buckets[^1] : (RatePoint?)null;
        double maxRate = 0, maxLatency = 0;
        foreach (var step in steps)
        {
            maxRate = Math.Max(maxRate, Math.Max(step.Point.WritesPerSecond, step.Point.ReadsPerSecond));
            maxLatency = Math.Max(maxLatency, step.Point.LatencyMax);
        }

        var pointCount = steps.Count(s => s.HasValue);

        // The time axis spans the whole window however young the series: its ends are points without a value.
        if (newest is { } last)
        {
            steps.Insert(0, new Step(new RatePoint(last.At - window, 0, 0, 0, 0), HasValue: false));
            steps.Add(new Step(new RatePoint(last.At, 0, 0, 0, 0), HasValue: false));
        }

        var rates = new ChartPanel(
            [Line("writes/s", steps, p => p.WritesPerSecond), Line("reads/s", steps, p => p.ReadsPerSecond)],
            Options(window, maxRate, RatePalette));
        var latency = new ChartPanel(
            [Line("avg", steps, p => p.LatencyAvg), Line("max", steps, p => p.LatencyMax)],
            Options(window, maxLatency, LatencyPalette));
        return new RateChart(version, window, newest, buckets.Count, pointCount, rates, latency);
    }

    /// <summary>1, 2 or 5 times a power of ten, at least 1 (the value axis is labelled in whole numbers).</summary>
    public static int NiceStep(double rough)
    {
        if (rough <= 1)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var fraction = rough / magnitude;
        var nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return (int)Math.Min(int.MaxValue, nice * magnitude);
    }

    /// <summary>
    /// One point per <see cref="PointSpacing"/> step of Unix time (so a step's point stays where it is as the window
    /// moves), at the step's start: the mean of its buckets' rates and average latencies, the maximum of their maxima.
    /// A gap in the buckets is a point without a value.
    /// </summary>
    private static List<Step> Downsample(IReadOnlyList<RatePoint> buckets)
    {
        var seconds = (long)PointSpacing.TotalSeconds;
        var steps = new List<Step>(buckets.Count / (int)seconds + 2);
        long current = long.MinValue;
        int count = 0;
        double reads = 0, writes = 0, latencyAvg = 0, latencyMax = 0;
        DateTimeOffset? previous = null;
        foreach (var bucket in buckets)
        {
            var step = bucket.At.ToUnixTimeSeconds() / seconds * seconds;
            if (step != current)
            {
                Flush();
                if (previous is { } before && bucket.At - before > GapAfter)
                {
                    steps.Add(new Step(new RatePoint(before + TimeSpan.FromSeconds(1), 0, 0, 0, 0), HasValue: false));
                }

                current = step;
            }

            count++;
            reads += bucket.ReadsPerSecond;
            writes += bucket.WritesPerSecond;
            latencyAvg += bucket.LatencyAvg;
            latencyMax = Math.Max(latencyMax, bucket.LatencyMax);
            previous = bucket.At;
        }

        Flush();
        return steps;

        void Flush()
        {
            if (count > 0)
            {
                steps.Add(new Step(new RatePoint(DateTimeOffset.FromUnixTimeSeconds(current), reads / count, writes / count, latencyAvg / count, latencyMax), HasValue: true));
            }

            count = 0;
            reads = writes = latencyAvg = latencyMax = 0;
        }
    }

    private static ChartSeries<double> Line(string name, List<Step> steps, Func<RatePoint, double> value)
    {
        var values = new (DateTime, double)[steps.Count];
        for (var i = 0; i < steps.Count; i++)
        {
            values[i] = (steps[i].Point.At.LocalDateTime, value(steps[i].Point));
        }

        var data = new ChartData<double>(values);
        for (var i = 0; i < steps.Count; i++)
        {
            // Set before anyone sees the series; MudBlazor draws no line through a point without a value.
            data[i].HasValue = steps[i].HasValue;
        }

        return new ChartSeries<double> { Name = name, Data = data };
    }

    private static TimeSeriesChartOptions Options(TimeSpan window, double max, string[] palette)
    {
        // Labels every minute over five minutes; closer for a shorter window.
        var spacing = window <= TimeSpan.FromMinutes(1) ? TimeSpan.FromSeconds(10)
            : window <= TimeSpan.FromMinutes(2) ? TimeSpan.FromSeconds(30)
            : TimeSpan.FromMinutes(1);
        return new TimeSeriesChartOptions
        {
            TimeLabelSpacing = spacing,
            TimeLabelSpacingRounding = true, // on whole minutes, not minutes after the window's start
            TimeLabelFormat = spacing < TimeSpan.FromMinutes(1) ? "HH:mm:ss" : "HH:mm",
            YAxisTicks = NiceStep(max / 4),
            MaxNumYAxisTicks = 8,
            YAxisRequireZeroPoint = true,
            YAxisFormat = "N0",
            LineStrokeWidth = 2,
            ShowLegend = true,
            ChartPalette = palette,

            // Tooltips give every point an SVG circle with mouse handlers, re-rendered with every redraw: ~8.5 MB per
            // circuit instead of ~1 MB (docs/benchmarks.md). The numbers above the charts give the newest values.
            ShowToolTips = false,
        };
    }

    private readonly record struct Step(RatePoint Point, bool HasValue);
}
