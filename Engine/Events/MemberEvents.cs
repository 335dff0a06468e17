using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Events;

/// <summary>A member's last heartbeat moved forward (a sample: a slow subscriber sees only the newest per member).</summary>
public sealed record HeartbeatObserved(
    string Ensemble,
    DateTimeOffset Timestamp,
    int ServerId,
    PeerState State,
    DateTimeOffset LastHeartbeat,
    double LatencyAvg) : EnsembleEvent(Ensemble, Timestamp)
{
    public override EnsembleEventKind Kind => EnsembleEventKind.HeartbeatObserved;
}

/// <summary>
/// A serving member has not heard its leader (or a leader its quorum) since <paramref name="Since"/>;
/// reported once per outage.
/// </summary>
public sealed record HeartbeatMissed(
    string Ensemble,
    DateTimeOffset Timestamp,
    int ServerId,
    DateTimeOffset Since,
    TimeSpan MissedFor) : EnsembleEvent(Ensemble, Timestamp)
{
    public override EnsembleEventKind Kind => EnsembleEventKind.HeartbeatMissed;
}

/// <summary>A member's <see cref="PeerState"/> changed between two probes.</summary>
public sealed record PeerStateChanged(
    string Ensemble,
    DateTimeOffset Timestamp,
    int ServerId,
    PeerState OldState,
    PeerState NewState,
    long Epoch) : EnsembleEvent(Ensemble, Timestamp)
{
    public override EnsembleEventKind Kind => EnsembleEventKind.PeerStateChanged;
}

/// <summary>The backend's list of members changed (a reconfig committed, a joiner was provisioned or a leaver forgotten).</summary>
public sealed record MembershipChanged(
    string Ensemble,
    DateTimeOffset Timestamp,
    IReadOnlyList<MemberSpec> Members,
    long ConfigVersion) : EnsembleEvent(Ensemble, Timestamp)
{
    public override EnsembleEventKind Kind => EnsembleEventKind.MembershipChanged;
}
