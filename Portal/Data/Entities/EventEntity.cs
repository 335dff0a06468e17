using QuorumPortal.Engine.Events;

namespace QuorumPortal.Portal.Data.Entities;

/// <summary>A row of <c>Events</c>: one kept event (leader change, quorum, membership, member state).</summary>
public sealed class EventEntity
{
    public long Id { get; set; }

    public required string Ensemble { get; set; }

    public DateTimeOffset Timestamp { get; set; }

    public EnsembleEventKind Kind { get; set; }

    public required string Summary { get; set; }

    public int? ServerId { get; set; }

    public long? Epoch { get; set; }

    public double? DurationMs { get; set; }
}
