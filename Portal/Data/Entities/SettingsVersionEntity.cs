namespace QuorumPortal.Portal.Data.Entities;

/// <summary>A row of <c>SettingsVersions</c>: one version of one ensemble's settings, never changed once written.</summary>
public sealed class SettingsVersionEntity
{
    public long Id { get; set; }

    public required string Ensemble { get; set; }

    public int Version { get; set; }

    public required string SettingsJson { get; set; }

    public required string ChangedBy { get; set; }

    public DateTimeOffset ChangedAt { get; set; }

    public string? Reason { get; set; }

    public Guid? OperationId { get; set; }
}
