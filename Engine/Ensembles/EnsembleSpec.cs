namespace QuorumPortal.Engine.Ensembles;

/// <summary>An ensemble as the operator asked for it: name, backend, members and settings.</summary>
public sealed record EnsembleSpec
{
    /// <summary>Unique name, 1–64 characters of letters, digits, '-', '_' and '.'.</summary>
    public required string Name { get; init; }

    /// <summary>Where the ensemble runs. Default: embedded.</summary>
    public BackendKind Backend { get; init; } = BackendKind.Embedded;

    /// <summary>The members, participants and observers.</summary>
    public required IReadOnlyList<MemberSpec> Members { get; init; }

    /// <summary>The settings. Default: ZooKeeper's defaults.</summary>
    public EnsembleSettings Settings { get; init; } = new();

    public IEnumerable<MemberSpec> Voters => Members.Where(m => m.IsVoter);

    public IEnumerable<MemberSpec> Observers => Members.Where(m => !m.IsVoter);

    public MemberSpec? Member(int serverId) => Members.FirstOrDefault(m => m.ServerId == serverId);

    /// <summary>Every rule this spec breaks; empty when it is valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(Name))
        {
            errors.Add(new("name", "is required"));
        }
        else if (Name.Length > 64 || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            errors.Add(new("name", $"must be 1–64 letters, digits, '-', '_' or '.' (was '{Name}')"));
        }

        if (Members.Count == 0)
        {
            errors.Add(new("members", "an ensemble needs at least one participant"));
        }
        else if (!Members.Any(m => m.IsVoter))
        {
            errors.Add(new("members", "an ensemble needs at least one participant; observers alone cannot form a quorum"));
        }

        foreach (var member in Members)
        {
            errors.AddRange(ValidateMember(member));
        }

        foreach (var group in Members.GroupBy(m => m.ServerId).Where(g => g.Count() > 1))
        {
            errors.Add(new($"server.{group.Key}", $"server id {group.Key} is used by {group.Count()} members; ids must be unique"));
        }

        // Host names are case-insensitive. A clash inside one member is ValidateMember's to report, once.
        var ports = new Dictionary<(string Host, int Port), (MemberSpec Owner, string Who)>();
        foreach (var member in Members)
        {
            foreach (var (kind, port) in new[] { ("quorum", member.QuorumPort), ("election", member.ElectionPort), ("client", member.ClientPort) })
            {
                if (port == 0)
                {
                    continue;
                }

                var key = ((member.Host ?? "").ToLowerInvariant(), port);
                if (!ports.TryAdd(key, (member, $"server.{member.ServerId} {kind} port")) && !ReferenceEquals(ports[key].Owner, member))
                {
                    errors.Add(new($"server.{member.ServerId}", $"{kind} port {port} on {member.Host} is already used as {ports[key].Who}"));
                }
            }
        }

        errors.AddRange(Settings.Validate());
        return errors;
    }

    /// <summary>The rules for one member on its own (no clash checks).</summary>
    public static IEnumerable<ValidationError> ValidateMember(MemberSpec member)
    {
        var field = $"server.{member.ServerId}";
        if (member.ServerId is < 1 or > 255)
        {
            yield return new(field, $"server id must be between 1 and 255 (was {member.ServerId})");
        }

        if (string.IsNullOrWhiteSpace(member.Host) || member.Host.Any(char.IsWhiteSpace))
        {
            yield return new(field, $"host must be a name or address without spaces (was '{member.Host}')");
        }

        foreach (var (kind, port) in new[] { ("quorum", member.QuorumPort), ("election", member.ElectionPort), ("client", member.ClientPort) })
        {
            // 0 means "allocate for me" (the embedded backend needs no ports; ZooKeeper allocates free ones).
            if (port is < 0 or > 65535)
            {
                yield return new(field, $"{kind} port must be between 1 and 65535, or 0 to allocate one (was {port})");
            }
        }

        if (member.QuorumPort != 0 && (member.QuorumPort == member.ElectionPort || member.QuorumPort == member.ClientPort)
            || member.ElectionPort != 0 && member.ElectionPort == member.ClientPort)
        {
            yield return new(field, "quorum, election and client ports must differ");
        }
    }

    /// <summary>Throws <see cref="ValidationException"/> when <see cref="Validate"/> finds anything.</summary>
    public EnsembleSpec EnsureValid()
    {
        var errors = Validate();
        return errors.Count == 0 ? this : throw new ValidationException(errors);
    }

    /// <summary>A spec of <paramref name="size"/> participants with ids 1..size and no fixed ports.</summary>
    public static EnsembleSpec OfSize(string name, int size, EnsembleSettings? settings = null, BackendKind backend = BackendKind.Embedded) => new()
    {
        Name = name,
        Backend = backend,
        Members = Enumerable.Range(1, size).Select(id => new MemberSpec { ServerId = id }).ToArray(),
        Settings = settings ?? new EnsembleSettings(),
    };
}
