namespace QuorumPortal.Portal.Data.Entities;

/// <summary>A row of <c>DrillReports</c>: a finished or running drill's report, its body as JSON (written by the drills).</summary>
public sealed class DrillReportEntity
{
    public Guid Id { get; set; }

    public required string Ensemble { get; set; }

    /// <summary>What the drill did, e.g. "kill-leader".</summary>
    public required string Kind { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public required string BodyJson { get; set; }
}
