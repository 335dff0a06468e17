namespace QuorumPortal.Portal.Data.Entities;

/// <summary>A row of <c>AuditEntries</c>: who did what to which ensemble, with what, and how it ended.</summary>
public sealed class AuditEntryEntity
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Actor { get; set; }

    public required string Ensemble { get; set; }

    public required string Action { get; set; }

    /// <summary>The parameters by name, as JSON.</summary>
    public required string ParametersJson { get; set; }

    public required string Result { get; set; }

    public string? Detail { get; set; }

    public string? Reason { get; set; }

    public double? DurationMs { get; set; }

    /// <summary>The operation this entry reports, if it reports one; unique, so an operation is audited once.</summary>
    public Guid? OperationId { get; set; }
}
