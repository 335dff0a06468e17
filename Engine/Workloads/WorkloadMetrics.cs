using System.Diagnostics.Metrics;

namespace QuorumPortal.Engine.Workloads;

/// <summary>A workload's counters, on the meter <c>QuorumPortal.Engine.Workloads</c>.</summary>
internal sealed class WorkloadMetrics : IDisposable
{
    public const string MeterName = "QuorumPortal.Engine.Workloads";

    private readonly Meter? _owned;
    private readonly KeyValuePair<string, object?> _ensemble;
    private readonly Counter<long> _operations;
    private readonly Counter<long> _skipped;
    private readonly Counter<long> _reopened;

    public WorkloadMetrics(string ensemble, IMeterFactory? meterFactory)
    {
        var meter = meterFactory?.Create(MeterName) ?? (_owned = new Meter(MeterName));
        _ensemble = new("ensemble", ensemble);
        _operations = meter.CreateCounter<long>("quorumportal.workload.operations", "{operation}", "Workload requests completed, by operation and result.");
        _skipped = meter.CreateCounter<long>("quorumportal.workload.skipped", "{operation}", "Operations that came due while every session was saturated or recovering.");
        _reopened = meter.CreateCounter<long>("quorumportal.workload.sessions_reopened", "{session}", "Sessions opened again after one expired.");
    }

    /// <param name="operation"><c>read</c> or <c>write</c>.</param>
    /// <param name="result"><c>ok</c>, a <see cref="Backends.CoordinationError"/> name, or <c>other</c>.</param>
    public void Completed(string operation, string result) => _operations.Add(1, _ensemble, new("operation", operation), new("result", result));

    public void Skipped(long count) => _skipped.Add(count, _ensemble);

    public void SessionReopened() => _reopened.Add(1, _ensemble);

    public void Dispose() => _owned?.Dispose();
}
