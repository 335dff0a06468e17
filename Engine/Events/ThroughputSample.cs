namespace QuorumPortal.Engine.Events;

/// <summary>
/// Requests completed per second over <paramref name="Interval"/>, for the whole ensemble
/// (<paramref name="ServerId"/> null) or one member. Latencies are ms as members report them; the
/// ensemble-wide average is the mean over serving members and the maximum their maximum.
/// A sample: a slow subscriber sees only the newest per member and per ensemble.
/// </summary>
public sealed record ThroughputSample(
    string Ensemble,
    DateTimeOffset Timestamp,
    double ReadsPerSecond,
    double WritesPerSecond,
    double LatencyAvg,
    double LatencyMax,
    TimeSpan Interval,
    int? ServerId = null) : EnsembleEvent(Ensemble, Timestamp)
{
    public override EnsembleEventKind Kind => EnsembleEventKind.ThroughputSample;
}
