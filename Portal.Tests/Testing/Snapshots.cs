using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>Snapshots built by hand, as a monitor would publish them.</summary>
internal static class Snapshots
{
    /// <summary>
    /// <paramref name="size"/> participants at <paramref name="at"/>: <paramref name="leader"/> leads (none when null),
    /// the rest follow it except those in <paramref name="down"/>, which did not answer.
    /// </summary>
    public static EnsembleSnapshot Of(string name, DateTimeOffset at, int? leader, long epoch, int size = 3, params int[] down)
    {
        var members = EnsembleSpec.OfSize(name, size).Members;
        return new EnsembleSnapshot
        {
            Name = name,
            Backend = BackendKind.Embedded,
            Members = members,
            TakenAt = at,
            Statuses = [.. members.Select(m => down.Contains(m.ServerId)
                ? MemberStatus.Down(m.ServerId, at, "stopped")
                : Serving(m.ServerId, at, leader is null ? PeerState.Looking : m.ServerId == leader ? PeerState.Leading : PeerState.Following, leader, epoch))],
        };
    }

    public static MemberStatus Serving(int serverId, DateTimeOffset at, PeerState state, int? leader, long epoch, TimeSpan? heartbeatAge = null) => new()
    {
        ServerId = serverId,
        ProbedAt = at,
        State = state,
        Phase = state == PeerState.Looking ? ZabPhase.Election : ZabPhase.Broadcast,
        LeaderId = leader,
        Epoch = epoch,
        LastZxid = Zxid.Make(epoch, 7),
        LastHeartbeat = state == PeerState.Looking ? null : at - (heartbeatAge ?? TimeSpan.FromMilliseconds(40)),
        LatencyAvg = 1.5,
        LatencyMax = 12,
        OutstandingRequests = 3,
        Connections = 4,
        ZnodeCount = 42,
    };
}
