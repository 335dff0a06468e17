using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Portal.Model;

namespace QuorumPortal.Portal.Api;

/// <summary>One ensemble as <c>GET /api/ensembles</c> returns it: the monitor's latest snapshot.</summary>
public sealed record EnsembleDto(
    string Name,
    BackendKind Backend,
    int? LeaderId,
    long Epoch,
    bool HasQuorum,
    string Health,
    int FailuresLeft,
    DateTimeOffset? TakenAt,
    IReadOnlyList<MemberDto> Members)
{
    /// <summary>The ensemble's latest snapshot, or its configured members if it has not been probed yet.</summary>
    public static EnsembleDto From(RegisteredEnsemble ensemble) =>
        From(ensemble.Name, ensemble.Backend.Kind, ensemble.Backend.Members, ensemble.Events.Current);

    public static EnsembleDto From(string name, BackendKind backend, IReadOnlyList<MemberSpec> members, EnsembleSnapshot? snapshot)
    {
        if (snapshot is null)
        {
            // Not probed yet: members as configured, every one unknown (down).
            return new(name, backend, null, 0, false, "not probed yet", 0, null,
                [.. members.Select(m => new MemberDto(m.ServerId, m.Role, PeerState.Down, null, null, 0, 0, "0x0", "0/0", null, null, "not probed yet"))]);
        }

        var health = QuorumHealth.Of(snapshot);
        return new(
            name,
            backend,
            snapshot.LeaderId,
            snapshot.Epoch,
            snapshot.HasQuorum,
            health.Text,
            health.FailuresLeft,
            snapshot.TakenAt,
            [.. snapshot.Statuses.Select(MemberDto.From)]);
    }
}

/// <summary>One member's latest probe.</summary>
public sealed record MemberDto(
    int ServerId,
    MemberRole Role,
    PeerState State,
    ZabPhase? Phase,
    int? LeaderId,
    long Epoch,
    long LastZxid,
    string LastZxidHex,
    string LastZxidEpochCounter,
    DateTimeOffset? LastHeartbeat,
    double? HeartbeatAgeMs,
    string? Error)
{
    public static MemberDto From(MemberStatus s) => new(
        s.ServerId,
        s.Role,
        s.State,
        s.Phase,
        s.LeaderId,
        s.Epoch,
        s.LastZxid,
        Zxid.ToHex(s.LastZxid),
        Zxid.ToEpochCounter(s.LastZxid),
        s.LastHeartbeat,
        s.LastHeartbeat is { } at ? Math.Max(0, (s.ProbedAt - at).TotalMilliseconds) : null,
        s.Error);
}
