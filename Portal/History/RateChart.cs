using System.Globalization;
using System.Text;

namespace QuorumPortal.Portal.History;

/// <summary>A label on a chart's axis and where it goes, as a CSS declaration (<c>left:25%</c> or <c>bottom:50%</c>).</summary>
public readonly record struct AxisTick(string Label, string Style);

/// <summary>
/// One panel of a <see cref="RateChart"/>: an SVG path (<c>d</c>) per line, the horizontal grid lines as one path, and
/// the value axis's labels. Coordinates are in <see cref="RateChart.Width"/> × <see cref="RateChart.Height"/> units.
/// </summary>
public sealed record ChartPanel(IReadOnlyList<string> Lines, string Grid, IReadOnlyList<AxisTick> ValueTicks);

/// <summary>
/// The drawing of one <see cref="RateSeries"/> at one <see cref="Version"/>: writes/s and reads/s (<see cref="Rates"/>,
/// lines 0 and 1, on one scale), latency average and maximum in ms (<see cref="Latency"/>), over the series'
/// <see cref="Window"/> ending at its <see cref="Newest"/> bucket, with time-of-day labels (the server's local time) in
/// <see cref="TimeTicks"/>. Immutable and shared: every page that charts the same series at the same version gets the
/// same instance, so its strings are held once however many dashboards are open, and each circuit keeps only its render
/// tree (docs/benchmarks.md, circuits). The drawing stretches to its box (<c>preserveAspectRatio="none"</c>), so the
/// coordinates do not depend on any browser's size.
/// </summary>
public sealed record RateChart(long Version, TimeSpan Window, RatePoint? Newest, int Count, ChartPanel Rates, ChartPanel Latency, IReadOnlyList<AxisTick> TimeTicks)
{
    public const int Width = 1000;
    public const int Height = 200;

    // A bucket further than this from the previous one starts a new segment, so a gap in probing shows as a gap.
    private static readonly TimeSpan GapAfter = TimeSpan.FromSeconds(3);
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Draws <paramref name="points"/> (oldest first) over the <paramref name="window"/> ending at the newest.</summary>
    public static RateChart Build(long version, TimeSpan window, IReadOnlyList<RatePoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        if (points.Count == 0)
        {
            var empty = new ChartPanel([], "", []);
            return new RateChart(version, window, null, 0, empty, empty, []);
        }

        var end = points[^1].At;
        var start = end - window;
        double maxRate = 0, maxLatency = 0;
        foreach (var p in points)
        {
            maxRate = Math.Max(maxRate, Math.Max(p.WritesPerSecond, p.ReadsPerSecond));
            maxLatency = Math.Max(maxLatency, p.LatencyMax);
        }

        var rates = Panel(points, start, window, maxRate, p => p.WritesPerSecond, p => p.ReadsPerSecond);
        var latency = Panel(points, start, window, maxLatency, p => p.LatencyAvg, p => p.LatencyMax);
        return new RateChart(version, window, points[^1], points.Count, rates, latency, TimeAxis(start, end, window));
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

    private static ChartPanel Panel(IReadOnlyList<RatePoint> points, DateTimeOffset start, TimeSpan window, double max, params Func<RatePoint, double>[] lines)
    {
        // About four grid lines, at whole steps from zero to the first step above the maximum.
        var step = NiceStep(max / 4);
        var steps = Math.Max(1, (int)Math.Ceiling(max / step));
        var top = (double)step * steps;
        var ticks = new AxisTick[steps + 1];
        var grid = new StringBuilder();
        for (var i = 0; i <= steps; i++)
        {
            var value = (double)step * i;
            ticks[i] = new AxisTick(value.ToString("N0", Inv), string.Create(Inv, $"bottom:{value / top * 100:0.##}%"));
            grid.Append(Inv, $"M0 {Y(value, top)}H{Width}");
        }

        var paths = new string[lines.Length];
        for (var l = 0; l < lines.Length; l++)
        {
            var d = new StringBuilder(points.Count * 12);
            DateTimeOffset? previous = null;
            foreach (var p in points)
            {
                var command = previous is { } before && p.At - before <= GapAfter ? 'L' : 'M';
                d.Append(Inv, $"{command}{X(p.At, start, window)} {Y(lines[l](p), top)}");
                previous = p.At;
            }

            paths[l] = d.ToString();
        }

        return new ChartPanel(paths, grid.ToString(), ticks);
    }

    private static IReadOnlyList<AxisTick> TimeAxis(DateTimeOffset start, DateTimeOffset end, TimeSpan window)
    {
        // Labels every minute over five minutes; closer for a shorter window.
        var spacing = window <= TimeSpan.FromMinutes(1) ? TimeSpan.FromSeconds(10)
            : window <= TimeSpan.FromMinutes(2) ? TimeSpan.FromSeconds(30)
            : TimeSpan.FromMinutes(1);
        var format = spacing < TimeSpan.FromMinutes(1) ? "HH:mm:ss" : "HH:mm";
        var ticks = new List<AxisTick>();
        var first = start.ToUnixTimeSeconds() / (long)spacing.TotalSeconds * (long)spacing.TotalSeconds;
        for (var at = DateTimeOffset.FromUnixTimeSeconds(first); at <= end; at += spacing)
        {
            if (at >= start)
            {
                var left = (at - start) / window * 100;
                ticks.Add(new AxisTick(at.ToLocalTime().ToString(format, Inv), string.Create(Inv, $"left:{left:0.##}%")));
            }
        }

        return ticks;
    }

    private static string X(DateTimeOffset at, DateTimeOffset start, TimeSpan window) =>
        ((at - start) / window * Width).ToString("0.#", Inv);

    private static string Y(double value, double top) =>
        (Height - Math.Clamp(value / top, 0, 1) * Height).ToString("0.#", Inv);
}
