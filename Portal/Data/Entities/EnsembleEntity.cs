using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Portal.Data.Entities;

/// <summary>A row of <c>Ensembles</c>: one stored ensemble; its members are rows of <c>EnsembleMembers</c>.</summary>
public sealed class EnsembleEntity
{
    public required string Name { get; set; }

    public BackendKind Backend { get; set; }

    /// <summary><see cref="EnsembleSettings"/> as JSON.</summary>
    public required string SettingsJson { get; set; }

    public string? DataDirectory { get; set; }

    public string? ConnectionString { get; set; }

    public string? CredentialsReference { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public List<EnsembleMemberEntity> Members { get; set; } = [];
}

/// <summary>A row of <c>EnsembleMembers</c>: one member of the committed configuration.</summary>
public sealed class EnsembleMemberEntity
{
    public required string EnsembleName { get; set; }

    public int ServerId { get; set; }

    public MemberRole Role { get; set; }

    public required string Host { get; set; }

    public int QuorumPort { get; set; }

    public int ElectionPort { get; set; }

    public int ClientPort { get; set; }
}
