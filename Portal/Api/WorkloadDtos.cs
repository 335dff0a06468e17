using QuorumPortal.Engine.Workloads;

namespace QuorumPortal.Portal.Api;

/// <summary>A workload as <c>/api/ensembles/{name}/workload</c> returns it: the spec and the counters since its start.</summary>
public sealed record WorkloadStatusDto(
    string Ensemble,
    WorkloadState State,
    WorkloadSpec Spec,
    DateTimeOffset StartedAt,
    DateTimeOffset? StoppedAt,
    int Seed,
    long Reads,
    long Writes,
    long Errors,
    IReadOnlyDictionary<string, long> ErrorsByCode,
    long OtherErrors,
    long Skipped,
    double OperationsPerSecond,
    double? LatencyP50Ms,
    double? LatencyP99Ms,
    double WindowSeconds,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    int SessionsOpen,
    long SessionsReopened)
{
    public static WorkloadStatusDto From(WorkloadStatus s) => new(
        s.Ensemble,
        s.State,
        s.Spec,
        s.StartedAt,
        s.StoppedAt,
        s.Seed,
        s.Reads,
        s.Writes,
        s.Errors,
        s.ErrorsByCode.ToDictionary(e => e.Key.ToString(), e => e.Value),
        s.OtherErrors,
        s.Skipped,
        Math.Round(s.OperationsPerSecond, 1),
        s.LatencyP50?.TotalMilliseconds,
        s.LatencyP99?.TotalMilliseconds,
        s.Window.TotalSeconds,
        s.LastError,
        s.LastErrorAt,
        s.SessionsOpen,
        s.SessionsReopened);
}
