using QuorumPortal.Engine.Backends;

namespace QuorumPortal.Engine.Workloads;

/// <summary>Where a workload is in its life.</summary>
public enum WorkloadState
{
    /// <summary>Opening sessions and creating the key space; retries until the ensemble serves.</summary>
    Starting,

    /// <summary>Issuing operations at the spec's rate.</summary>
    Running,

    /// <summary>No longer issuing; waiting for requests in flight, deleting the key space when asked.</summary>
    Stopping,

    /// <summary>Stopped by a caller; the counters are final.</summary>
    Stopped,

    /// <summary>Ended by something it could not carry on through; see <see cref="WorkloadStatus.LastError"/>.</summary>
    Failed,
}

/// <summary>A workload at one moment: what it was asked to do and what it has done. Counters count since its start.</summary>
public sealed record WorkloadStatus
{
    public required string Ensemble { get; init; }

    public required WorkloadSpec Spec { get; init; }

    public required WorkloadState State { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? StoppedAt { get; init; }

    /// <summary>Seed of the run's choices of key, session and read or write; the same seed makes the same choices.</summary>
    public int Seed { get; init; }

    /// <summary>Reads (getData) that succeeded.</summary>
    public long Reads { get; init; }

    /// <summary>Writes (setData) the ensemble acknowledged.</summary>
    public long Writes { get; init; }

    /// <summary>Requests that failed, every cause together (<see cref="ErrorsByCode"/> plus <see cref="OtherErrors"/>).</summary>
    public long Errors { get; init; }

    /// <summary>Failed requests by ZooKeeper's error code.</summary>
    public IReadOnlyDictionary<CoordinationError, long> ErrorsByCode { get; init; } = new Dictionary<CoordinationError, long>();

    /// <summary>Failures that were not coordination errors (for example the backend went away).</summary>
    public long OtherErrors { get; init; }

    /// <summary>
    /// Operations that came due but were not issued because every session was at its in-flight limit or recovering
    /// from an error. An open loop does not queue them: a stalled ensemble shows here, not as a burst afterwards.
    /// </summary>
    public long Skipped { get; init; }

    /// <summary>Successful operations per second over the latency window.</summary>
    public double OperationsPerSecond { get; init; }

    /// <summary>Median latency of successful requests over the window; null when none completed in it.</summary>
    public TimeSpan? LatencyP50 { get; init; }

    /// <summary>99th percentile latency of successful requests over the window; null when none completed in it.</summary>
    public TimeSpan? LatencyP99 { get; init; }

    /// <summary>The window <see cref="OperationsPerSecond"/> and the percentiles are measured over.</summary>
    public TimeSpan Window { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>Sessions open whose last request did not fail: after a leader change, this climbs back to the spec's sessions.</summary>
    public int SessionsOpen { get; init; }

    /// <summary>Sessions opened again after one expired or was closed under the workload.</summary>
    public long SessionsReopened { get; init; }

    /// <summary>Whether the workload is still starting, running or stopping.</summary>
    public bool IsActive => State is WorkloadState.Starting or WorkloadState.Running or WorkloadState.Stopping;
}
