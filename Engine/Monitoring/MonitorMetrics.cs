using System.Diagnostics.Metrics;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Engine.Monitoring;

/// <summary>The monitor's counters, on the meter <c>QuorumPortal.Engine.Monitoring</c>.</summary>
internal sealed class MonitorMetrics : IDisposable
{
    public const string MeterName = "QuorumPortal.Engine.Monitoring";

    private readonly Meter? _owned;
    private readonly KeyValuePair<string, object?> _ensemble;
    private readonly Counter<long> _probes;
    private readonly Counter<long> _probeFailures;
    private readonly Counter<long> _events;
    private readonly Histogram<double> _roundDuration;

    public MonitorMetrics(string ensemble, IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MeterName) ?? (_owned = new Meter(MeterName));
        _ensemble = new("ensemble", ensemble);
        _probes = meter.CreateCounter<long>("quorumportal.monitor.probes", "{probe}", "Member probes made.");
        _probeFailures = meter.CreateCounter<long>("quorumportal.monitor.probe_failures", "{probe}", "Probes that found a member down, threw or timed out.");
        _events = meter.CreateCounter<long>("quorumportal.monitor.events", "{event}", "Events the monitor emitted, by kind.");
        _roundDuration = meter.CreateHistogram<double>("quorumportal.monitor.round.duration", "ms", "Time one probe round took.");
    }

    public void Probed() => _probes.Add(1, _ensemble);

    /// <param name="reason"><c>down</c>, <c>exception</c> or <c>timeout</c>.</param>
    public void ProbeFailed(string reason) => _probeFailures.Add(1, _ensemble, new("reason", reason));

    public void Emitted(EnsembleEventKind kind) => _events.Add(1, _ensemble, new("kind", kind.ToString()));

    public void Round(TimeSpan elapsed) => _roundDuration.Record(elapsed.TotalMilliseconds, _ensemble);

    public void Dispose() => _owned?.Dispose();
}
