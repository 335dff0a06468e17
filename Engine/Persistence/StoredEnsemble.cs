using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Persistence;

/// <summary>
/// An ensemble as the catalog keeps it, enough to bring it back after a restart: its backend, committed members,
/// settings, and where it lives — a data directory (embedded, local ZooKeeper) or a connection string (attached).
/// Credentials are never stored, only the name under which the portal's configuration holds them.
/// </summary>
public sealed record StoredEnsemble
{
    public required string Name { get; init; }

    public BackendKind Backend { get; init; } = BackendKind.Embedded;

    /// <summary>The committed configuration; for an attached ensemble, as last read (it is read again on connect).</summary>
    public required IReadOnlyList<MemberSpec> Members { get; init; }

    public EnsembleSettings Settings { get; init; } = new();

    /// <summary>Embedded and local ZooKeeper: where the members keep their data. Relative paths are under the portal's data directory.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Attached: the connection string, e.g. <c>10.0.0.1:2181,10.0.0.2:2181</c>.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Attached: the name of the digest credentials in the portal's configuration; null when none are needed.</summary>
    public string? CredentialsReference { get; init; }

    /// <summary>Set by the catalog when the ensemble is added.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Set by the catalog at every change.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The spec the backend is built from.</summary>
    public EnsembleSpec Spec => new() { Name = Name, Backend = Backend, Members = Members, Settings = Settings };

    /// <summary>A stored ensemble for <paramref name="spec"/> in <paramref name="dataDirectory"/>.</summary>
    public static StoredEnsemble For(EnsembleSpec spec, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new() { Name = spec.Name, Backend = spec.Backend, Members = spec.Members, Settings = spec.Settings, DataDirectory = dataDirectory };
    }

    /// <summary>Every rule this entry breaks; empty when it can be stored.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (Backend == BackendKind.AttachedZooKeeper)
        {
            // Attached members are read from the ensemble itself; only the name and settings rules apply here.
            errors.AddRange(new EnsembleSpec { Name = Name, Members = [new MemberSpec { ServerId = 1 }], Settings = Settings }.Validate());
            if (string.IsNullOrWhiteSpace(ConnectionString))
            {
                errors.Add(new("connectionString", "an attached ensemble needs a connection string (host:port[,host:port…])"));
            }
        }
        else
        {
            errors.AddRange(Spec.Validate());
            if (string.IsNullOrWhiteSpace(DataDirectory))
            {
                errors.Add(new("dataDirectory", $"a {Backend} ensemble needs a data directory"));
            }
        }

        return errors;
    }

    /// <summary>Throws <see cref="ValidationException"/> when <see cref="Validate"/> finds anything.</summary>
    public StoredEnsemble EnsureValid()
    {
        var errors = Validate();
        return errors.Count == 0 ? this : throw new ValidationException(errors);
    }
}
