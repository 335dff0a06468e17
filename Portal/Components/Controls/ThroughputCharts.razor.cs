using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using MudBlazor.Charts;
using QuorumPortal.Portal.History;

namespace QuorumPortal.Portal.Components.Controls;

/// <summary>
/// The charts of an ensemble (or one member): writes/s and reads/s, latency average and maximum, over the shared
/// history's window, with a pause toggle. Redrawn on its own tick (<see cref="TickedChart"/>).
/// </summary>
public sealed partial class ThroughputCharts : TickedChart
{
    // Writes and reads in the theme's primary and secondary colours, as on the cards' numbers and sparklines.
    private static readonly string[] RatePalette = ["#594ae2", "#ff4081"];
    private static readonly string[] LatencyPalette = ["#2196f3", "#ff9800"];

    private readonly List<RatePoint> _points = [];
    private long _version = -1;
    private RatePoint? _newest;
    private List<ChartSeries<double>> _rates = [];
    private List<ChartSeries<double>> _latency = [];
    private TimeSeriesChartOptions _rateOptions = new();
    private TimeSeriesChartOptions _latencyOptions = new();

    /// <summary>A member's server id, or null for the whole ensemble. Default null.</summary>
    [Parameter]
    public int? ServerId { get; set; }

    /// <summary>Height of each chart, as CSS. Default 220px.</summary>
    [Parameter]
    public string Height { get; set; } = "220px";

    protected override int? Member => ServerId;

    private void TogglePause()
    {
        Paused = !Paused;
        Redraw(refresh: !Paused);
    }

    protected override bool Refresh(EnsembleHistory? history, int? member, bool sourceChanged)
    {
        if (sourceChanged)
        {
            _version = -1;
            _points.Clear();
        }

        var version = history?.CopyRates(member, _points, _version) ?? 0;
        if (version == _version)
        {
            return false;
        }

        _version = version;
        _newest = _points.Count > 0 ? _points[^1] : null;
        var writes = new TimeValue<double>[_points.Count];
        var reads = new TimeValue<double>[_points.Count];
        var latencyAvg = new TimeValue<double>[_points.Count];
        var latencyMax = new TimeValue<double>[_points.Count];
        double maxRate = 0, maxLatency = 0;
        for (var i = 0; i < _points.Count; i++)
        {
            var p = _points[i];
            var at = p.At.LocalDateTime;
            writes[i] = new(at, p.WritesPerSecond);
            reads[i] = new(at, p.ReadsPerSecond);
            latencyAvg[i] = new(at, p.LatencyAvg);
            latencyMax[i] = new(at, p.LatencyMax);
            maxRate = Math.Max(maxRate, Math.Max(p.WritesPerSecond, p.ReadsPerSecond));
            maxLatency = Math.Max(maxLatency, p.LatencyMax);
        }

        var span = _points.Count > 1 ? _points[^1].At - _points[0].At : TimeSpan.Zero;
        _rates = [new() { Name = "writes/s", Data = writes }, new() { Name = "reads/s", Data = reads }];
        _latency = [new() { Name = "avg", Data = latencyAvg }, new() { Name = "max", Data = latencyMax }];
        _rateOptions = Options(span, maxRate, RatePalette);
        _latencyOptions = Options(span, maxLatency, LatencyPalette);
        return true;
    }

    private static TimeSeriesChartOptions Options(TimeSpan span, double max, string[] palette)
    {
        // Time labels every 10 s for a young series, every minute once it spans more than two.
        var spacing = span <= TimeSpan.FromMinutes(1) ? TimeSpan.FromSeconds(10)
            : span <= TimeSpan.FromMinutes(2) ? TimeSpan.FromSeconds(30)
            : TimeSpan.FromMinutes(1);
        return new TimeSeriesChartOptions
        {
            TimeLabelSpacing = spacing,
            TimeLabelFormat = spacing < TimeSpan.FromMinutes(1) ? "HH:mm:ss" : "HH:mm",
            TooltipTimeLabelFormat = "HH:mm:ss",
            YAxisTicks = NiceStep(max / 4),
            MaxNumYAxisTicks = 8,
            YAxisRequireZeroPoint = true,
            YAxisFormat = "N0",
            LineStrokeWidth = 2,
            ShowLegend = true,
            ChartPalette = palette,

            // Tooltips give every point an SVG circle with mouse handlers: 1,200 per page, four renders a second,
            // which multiplied a circuit's memory by ten (docs/benchmarks.md). The numbers above the charts say it.
            ShowToolTips = false,
        };
    }

    /// <summary>1, 2 or 5 times a power of ten, at least 1 (the chart's ticks are whole numbers).</summary>
    internal static int NiceStep(double rough)
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

    private static string Latency(double? ms) => ms?.ToString("0.##", CultureInfo.InvariantCulture) ?? "—";
}
