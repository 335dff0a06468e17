using System.Globalization;
using Microsoft.AspNetCore.Components;
using QuorumPortal.Portal.History;

namespace QuorumPortal.Portal.Components.Controls;

/// <summary>
/// The charts of an ensemble (or one member): writes/s and reads/s, latency average and maximum, over the shared
/// history's window, with a pause toggle. Redrawn on its own tick (<see cref="TickedChart"/>). What it draws is the
/// history's <see cref="RateChart"/>, built once per version for every page; a paused chart keeps the one it showed.
/// </summary>
public sealed partial class ThroughputCharts : TickedChart
{
    private RateChart? _chart;

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
        var chart = history?.Chart(member);
        if (!sourceChanged && chart?.Version == _chart?.Version)
        {
            return false;
        }

        _chart = chart;
        return true;
    }

    private static string Latency(double? ms) => ms?.ToString("0.##", CultureInfo.InvariantCulture) ?? "—";
}
