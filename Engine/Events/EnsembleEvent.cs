namespace QuorumPortal.Engine.Events;

/// <summary>What an <see cref="EnsembleEvent"/> reports.</summary>
public enum EnsembleEventKind
{
    HeartbeatObserved,
    HeartbeatMissed,
    PeerStateChanged,
    LeaderElected,
    LeaderLost,
    QuorumLost,
    QuorumRestored,
    ThroughputSample,
    MembershipChanged,
    OperationProgressed,
}

/// <summary>
/// Something the monitor saw happen to an ensemble. <see cref="Timestamp"/> is the time of the probe round
/// that saw it, so every event of one round carries the same timestamp.
/// </summary>
public abstract record EnsembleEvent(string Ensemble, DateTimeOffset Timestamp)
{
    public abstract EnsembleEventKind Kind { get; }

    /// <summary>
    /// Samples (<see cref="HeartbeatObserved"/>, <see cref="ThroughputSample"/>) are superseded by the next one,
    /// so a subscriber that falls behind gets only the newest; every other event is always delivered.
    /// </summary>
    public bool IsSample => Kind is EnsembleEventKind.HeartbeatObserved or EnsembleEventKind.ThroughputSample;
}
