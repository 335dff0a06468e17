using QuorumPortal.Engine.Backends;

namespace QuorumPortal.Engine.Workloads;

/// <summary>How a <see cref="WorkloadRunner"/> runs, apart from what the operator asked for (<see cref="WorkloadSpec"/>).</summary>
public sealed record WorkloadRunnerOptions
{
    /// <summary>
    /// Requests one session may have in flight. A session past it gets no more, and the operations that come due are
    /// skipped, so a stalled ensemble does not pile up requests. Default 256.
    /// </summary>
    public int MaxInFlightPerSession { get; init; } = 256;

    /// <summary>The sliding window of the achieved rate and the latency percentiles. Default 5 s.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Options of every session the workload opens. Default: <see cref="ClientOptions"/>'s (10 s session timeout).</summary>
    public ClientOptions Client { get; init; } = new();

    /// <summary>Seed of the choices of key and of read or write; null picks one (reported in the status).</summary>
    public int? Seed { get; init; }

    /// <summary>How long a stop waits for requests in flight before abandoning them. Default 5 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a stop may spend deleting the key space (the ensemble may have no quorum). Default 30 s.</summary>
    public TimeSpan CleanupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First pause before retrying a failed session open or setup step; doubles up to <see cref="MaxRetryDelay"/>. Default 100 ms.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest pause between retries. Default 2 s.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(2);
}
