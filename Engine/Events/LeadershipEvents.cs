namespace QuorumPortal.Engine.Events;

/// <summary>
/// A leader appeared or changed. <paramref name="OldLeaderId"/> is the last leader seen before (null at the
/// first probe); <paramref name="LeaderlessFor"/> runs from the <see cref="LeaderLost"/> that opened the gap to
/// this probe, zero when the change happened within one probe interval, null when no loss was observed.
/// </summary>
public sealed record LeaderElected(
    string Ensemble,
    DateTimeOffset Timestamp,
    int? OldLeaderId,
    int NewLeaderId,
    long Epoch,
    TimeSpan? LeaderlessFor) : EnsembleEvent(Ensemble, Timestamp)
{
    public override EnsembleEventKind Kind => EnsembleEventKind.LeaderElected;
}

/// <summary>The leader of <paramref name="Epoch"/> no longer leads; <see cref="EnsembleEvent.Timestamp"/> starts the leaderless period.</summary>
public sealed record LeaderLost(
    string Ensemble,
    DateTimeOffset Timestamp,
    int OldLeaderId,
    long Epoch) : EnsembleEvent(Ensemble, Timestamp)
{
    public override EnsembleEventKind Kind => EnsembleEventKind.LeaderLost;
}

/// <summary>Fewer than a majority of voters serve under a leader: writes stop.</summary>
public sealed record QuorumLost(
    string Ensemble,
    DateTimeOffset Timestamp,
    int ServingVoters,
    int Voters) : EnsembleEvent(Ensemble, Timestamp)
{
    public override EnsembleEventKind Kind => EnsembleEventKind.QuorumLost;
}

/// <summary>A majority serves under a leader again, after <paramref name="WithoutQuorumFor"/>.</summary>
public sealed record QuorumRestored(
    string Ensemble,
    DateTimeOffset Timestamp,
    int ServingVoters,
    int Voters,
    TimeSpan WithoutQuorumFor) : EnsembleEvent(Ensemble, Timestamp)
{
    public override EnsembleEventKind Kind => EnsembleEventKind.QuorumRestored;
}
