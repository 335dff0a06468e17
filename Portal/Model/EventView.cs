using System.Globalization;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Portal.Model;

/// <summary>How the event log names and describes events.</summary>
public static class EventView
{
    /// <summary>The kinds the event log shows; samples (heartbeats seen, throughput) are the charts' and the cards'.</summary>
    public static IReadOnlyList<EnsembleEventKind> LoggedKinds { get; } =
    [
        EnsembleEventKind.LeaderElected,
        EnsembleEventKind.LeaderLost,
        EnsembleEventKind.QuorumLost,
        EnsembleEventKind.QuorumRestored,
        EnsembleEventKind.PeerStateChanged,
        EnsembleEventKind.HeartbeatMissed,
        EnsembleEventKind.MembershipChanged,
    ];

    /// <summary>"leader elected", "heartbeat missed", …</summary>
    public static string KindText(EnsembleEventKind kind) => kind switch
    {
        EnsembleEventKind.LeaderElected => "leader elected",
        EnsembleEventKind.LeaderLost => "leader lost",
        EnsembleEventKind.QuorumLost => "quorum lost",
        EnsembleEventKind.QuorumRestored => "quorum restored",
        EnsembleEventKind.PeerStateChanged => "state changed",
        EnsembleEventKind.HeartbeatMissed => "heartbeat missed",
        EnsembleEventKind.MembershipChanged => "membership changed",
        EnsembleEventKind.HeartbeatObserved => "heartbeat",
        _ => "throughput",
    };

    /// <summary>Whether the event is about <paramref name="serverId"/> (an ensemble-wide event is about no member).</summary>
    public static bool Involves(EnsembleEvent e, int serverId) => e switch
    {
        LeaderElected x => x.NewLeaderId == serverId || x.OldLeaderId == serverId,
        LeaderLost x => x.OldLeaderId == serverId,
        PeerStateChanged x => x.ServerId == serverId,
        HeartbeatMissed x => x.ServerId == serverId,
        HeartbeatObserved x => x.ServerId == serverId,
        ThroughputSample x => x.ServerId == serverId,
        MembershipChanged x => x.Members.Any(m => m.ServerId == serverId),
        _ => false,
    };

    /// <summary>Events that must render at once rather than wait for the next coalesced render.</summary>
    public static bool IsUrgent(EnsembleEvent e) => e.Kind is EnsembleEventKind.LeaderElected or EnsembleEventKind.LeaderLost
        or EnsembleEventKind.QuorumLost or EnsembleEventKind.QuorumRestored or EnsembleEventKind.PeerStateChanged
        or EnsembleEventKind.MembershipChanged;

    /// <summary>One line for the event log.</summary>
    public static string Describe(EnsembleEvent e) => e switch
    {
        LeaderElected x => Invariant($"server {x.NewLeaderId} leads epoch {x.Epoch}")
            + (x.OldLeaderId is int old && old != x.NewLeaderId ? Invariant($", replacing server {old}") : x.OldLeaderId is null ? " (first seen)" : " (re-elected)")
            + (x.LeaderlessFor is { } gap ? (gap == TimeSpan.Zero ? ", within one probe" : ", no leader for " + Durations.Short(gap)) : ""),
        LeaderLost x => Invariant($"server {x.OldLeaderId} no longer leads epoch {x.Epoch}"),
        QuorumLost x => Invariant($"{x.ServingVoters} of {x.Voters} voters serving: writes stop"),
        QuorumRestored x => Invariant($"{x.ServingVoters} of {x.Voters} voters serving again after ") + Durations.Short(x.WithoutQuorumFor),
        PeerStateChanged x => Invariant($"server {x.ServerId}: {MemberView.Role(x.OldState)} → {MemberView.Role(x.NewState)} (epoch {x.Epoch})"),
        HeartbeatMissed x => Invariant($"server {x.ServerId} heard nothing for ") + Durations.Short(x.MissedFor),
        MembershipChanged x => Invariant($"config version 0x{x.ConfigVersion:x}: ")
            + string.Join(", ", x.Members.Select(m => Invariant($"{m.ServerId}{(m.IsVoter ? "" : " (observer)")}"))),
        HeartbeatObserved x => Invariant($"server {x.ServerId} heartbeat"),
        ThroughputSample x => Invariant($"{x.WritesPerSecond:0} writes/s, {x.ReadsPerSecond:0} reads/s"),
        _ => e.Kind.ToString(),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
