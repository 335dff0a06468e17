namespace QuorumPortal.Engine.Operations;

/// <summary>What an operation does to an ensemble.</summary>
public enum OperationKind
{
    AddMembers,
    RemoveMembers,
    ApplySettings,
    Failover,
}

/// <summary>Where an operation is. Only <see cref="Running"/> is unfinished.</summary>
public enum OperationState
{
    /// <summary>Steps are running.</summary>
    Running,

    /// <summary>Every step succeeded.</summary>
    Succeeded,

    /// <summary>A step failed; what was undone is listed in the steps, what could not be is in the error.</summary>
    Failed,

    /// <summary>A step failed and every completed step was undone: the ensemble is as it was.</summary>
    RolledBack,

    /// <summary>Preflight said no; nothing was changed.</summary>
    Refused,

    /// <summary>The portal stopped while it ran; it ended at the step shown.</summary>
    Interrupted,
}

/// <summary>Where one step is.</summary>
public enum StepState
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
    Undone,

    /// <summary>The portal stopped while this step ran.</summary>
    Interrupted,
}

/// <summary>One named step of an operation and what happened in it.</summary>
public sealed record OperationStep(
    string Name,
    StepState State = StepState.Pending,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? EndedAt = null,
    string? Detail = null)
{
    public TimeSpan? Duration => EndedAt - StartedAt;
}

/// <summary>Who asks for an operation, and why; kept in the journal and the audit log.</summary>
public sealed record OperationRequest(string RequestedBy, string? Reason = null)
{
    public static OperationRequest System(string reason) => new("system", reason);
}

/// <summary>
/// One operation as it stands: an immutable value, replaced whole at every change and saved to the journal
/// each time, so a page, the audit log and a restarted portal all see the same thing.
/// </summary>
public sealed record OperationRecord
{
    public required Guid Id { get; init; }

    public required string Ensemble { get; init; }

    public required OperationKind Kind { get; init; }

    /// <summary>What an operator would call it, e.g. "Expand demo to 5".</summary>
    public required string Title { get; init; }

    /// <summary>The parameters as the operator gave them, by name, for the audit log.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    public required string RequestedBy { get; init; }

    public string? Reason { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public OperationState State { get; init; } = OperationState.Running;

    public IReadOnlyList<OperationStep> Steps { get; init; } = [];

    /// <summary>What preflight reported (warnings and information included).</summary>
    public IReadOnlyList<PreflightCheck> Preflight { get; init; } = [];

    /// <summary>A one-line result for the operator, e.g. "server 2 leads epoch 5; 412 ms without a leader".</summary>
    public string? Outcome { get; init; }

    /// <summary>Why it failed, was refused or interrupted, and what state that left.</summary>
    public string? Error { get; init; }

    /// <summary>Named measurements, e.g. "leaderlessMs" for a failover.</summary>
    public IReadOnlyDictionary<string, double> Measurements { get; init; } = new Dictionary<string, double>();

    public bool IsFinished => State != OperationState.Running;

    public TimeSpan? Duration => EndedAt - StartedAt;

    /// <summary>The step running now, or the last one that ran.</summary>
    public OperationStep? CurrentStep =>
        Steps.LastOrDefault(s => s.State == StepState.Running)
        ?? Steps.LastOrDefault(s => s.State is not StepState.Pending);
}
