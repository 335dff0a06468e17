namespace QuorumPortal.Portal.Data;

/// <summary>
/// One line of the audit log: who (<paramref name="Actor"/>) did what (<paramref name="Action"/>, with its
/// <paramref name="Parameters"/>) to which ensemble, when it ended (<paramref name="At"/>), how it ended
/// (<paramref name="Result"/>, <paramref name="Detail"/>), why, and how long it took.
/// </summary>
public sealed record AuditEntry(
    long Id,
    DateTimeOffset At,
    string Actor,
    string Ensemble,
    string Action,
    IReadOnlyDictionary<string, string> Parameters,
    string Result,
    TimeSpan? Duration,
    string? Detail = null,
    string? Reason = null,
    Guid? OperationId = null);

/// <summary>Which audit entries to read: every filter given must match; times are a range [From, To).</summary>
public sealed record AuditQuery
{
    public string? Ensemble { get; init; }

    public string? Actor { get; init; }

    public string? Action { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    /// <summary>At most this many, the newest; null for all. Default 1000.</summary>
    public int? Limit { get; init; } = 1000;
}
