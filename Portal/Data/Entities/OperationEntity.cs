using QuorumPortal.Engine.Operations;

namespace QuorumPortal.Portal.Data.Entities;

/// <summary>A row of <c>Operations</c>: an operation's record as last saved; its steps are rows of <c>OperationSteps</c>.</summary>
public sealed class OperationEntity
{
    public Guid Id { get; set; }

    public required string Ensemble { get; set; }

    public OperationKind Kind { get; set; }

    public required string Title { get; set; }

    public required string RequestedBy { get; set; }

    public string? Reason { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public OperationState State { get; set; }

    public string? Outcome { get; set; }

    public string? Error { get; set; }

    /// <summary>The parameters by name, as JSON.</summary>
    public required string ParametersJson { get; set; }

    /// <summary>The preflight's checks, as JSON.</summary>
    public required string PreflightJson { get; set; }

    /// <summary>The measurements by name, as JSON.</summary>
    public required string MeasurementsJson { get; set; }

    public List<OperationStepEntity> Steps { get; set; } = [];
}

/// <summary>A row of <c>OperationSteps</c>: one step of an operation, at its position in the plan.</summary>
public sealed class OperationStepEntity
{
    public Guid OperationId { get; set; }

    public int Position { get; set; }

    public required string Name { get; set; }

    public StepState State { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public string? Detail { get; set; }
}
