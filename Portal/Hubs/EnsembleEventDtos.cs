using System.Text.Json.Serialization;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Operations;

namespace QuorumPortal.Portal.Hubs;

/// <summary>What <see cref="IEnsembleClient.EventsReceived"/> carries: events of one ensemble, oldest first.</summary>
public sealed record EnsembleEventBatchDto(string Ensemble, IReadOnlyList<EnsembleEventDto> Events)
{
    public static EnsembleEventBatchDto From(string ensemble, IReadOnlyList<EnsembleEvent> events) =>
        new(ensemble, [.. events.Select(EnsembleEventDto.From)]);
}

/// <summary>
/// One <see cref="EnsembleEvent"/> on the wire. The <c>kind</c> property (the <see cref="EnsembleEventKind"/> name)
/// comes first and says which other properties there are, then <c>ensemble</c> and <c>timestamp</c>; durations are milliseconds.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(HeartbeatObservedDto), nameof(EnsembleEventKind.HeartbeatObserved))]
[JsonDerivedType(typeof(HeartbeatMissedDto), nameof(EnsembleEventKind.HeartbeatMissed))]
[JsonDerivedType(typeof(PeerStateChangedDto), nameof(EnsembleEventKind.PeerStateChanged))]
[JsonDerivedType(typeof(LeaderElectedDto), nameof(EnsembleEventKind.LeaderElected))]
[JsonDerivedType(typeof(LeaderLostDto), nameof(EnsembleEventKind.LeaderLost))]
[JsonDerivedType(typeof(QuorumLostDto), nameof(EnsembleEventKind.QuorumLost))]
[JsonDerivedType(typeof(QuorumRestoredDto), nameof(EnsembleEventKind.QuorumRestored))]
[JsonDerivedType(typeof(ThroughputSampleDto), nameof(EnsembleEventKind.ThroughputSample))]
[JsonDerivedType(typeof(MembershipChangedDto), nameof(EnsembleEventKind.MembershipChanged))]
[JsonDerivedType(typeof(OperationProgressedDto), nameof(EnsembleEventKind.OperationProgressed))]
public abstract record EnsembleEventDto(
    [property: JsonPropertyOrder(-2)] string Ensemble,
    [property: JsonPropertyOrder(-1)] DateTimeOffset Timestamp)
{
    public static EnsembleEventDto From(EnsembleEvent e) => e switch
    {
        HeartbeatObserved h => new HeartbeatObservedDto(h.Ensemble, h.Timestamp, h.ServerId, h.State, h.LastHeartbeat, h.LatencyAvg),
        HeartbeatMissed m => new HeartbeatMissedDto(m.Ensemble, m.Timestamp, m.ServerId, m.Since, m.MissedFor.TotalMilliseconds),
        PeerStateChanged p => new PeerStateChangedDto(p.Ensemble, p.Timestamp, p.ServerId, p.OldState, p.NewState, p.Epoch),
        LeaderElected l => new LeaderElectedDto(l.Ensemble, l.Timestamp, l.OldLeaderId, l.NewLeaderId, l.Epoch, l.LeaderlessFor?.TotalMilliseconds),
        LeaderLost l => new LeaderLostDto(l.Ensemble, l.Timestamp, l.OldLeaderId, l.Epoch),
        QuorumLost q => new QuorumLostDto(q.Ensemble, q.Timestamp, q.ServingVoters, q.Voters),
        QuorumRestored q => new QuorumRestoredDto(q.Ensemble, q.Timestamp, q.ServingVoters, q.Voters, q.WithoutQuorumFor.TotalMilliseconds),
        ThroughputSample t => new ThroughputSampleDto(
            t.Ensemble, t.Timestamp, t.ServerId, t.ReadsPerSecond, t.WritesPerSecond, t.LatencyAvg, t.LatencyMax, t.Interval.TotalMilliseconds),
        MembershipChanged c => new MembershipChangedDto(c.Ensemble, c.Timestamp, c.ConfigVersion, [.. c.Members.Select(MemberSpecDto.From)]),
        OperationProgressed o => new OperationProgressedDto(o.Ensemble, o.Timestamp, OperationDto.From(o.Operation)),
        _ => throw new ArgumentException($"No hub payload for event kind {e.Kind}.", nameof(e)),
    };
}

/// <summary>A member's heartbeat moved forward (a sample).</summary>
public sealed record HeartbeatObservedDto(string Ensemble, DateTimeOffset Timestamp, int ServerId, PeerState State, DateTimeOffset LastHeartbeat, double LatencyAvg)
    : EnsembleEventDto(Ensemble, Timestamp);

/// <summary>A serving member has heard nothing since <see cref="Since"/>; once per outage.</summary>
public sealed record HeartbeatMissedDto(string Ensemble, DateTimeOffset Timestamp, int ServerId, DateTimeOffset Since, double MissedForMs)
    : EnsembleEventDto(Ensemble, Timestamp);

/// <summary>A member's peer state changed between two probes.</summary>
public sealed record PeerStateChangedDto(string Ensemble, DateTimeOffset Timestamp, int ServerId, PeerState OldState, PeerState NewState, long Epoch)
    : EnsembleEventDto(Ensemble, Timestamp);

/// <summary>A leader appeared or changed; <see cref="LeaderlessForMs"/> is null when no loss was seen before it.</summary>
public sealed record LeaderElectedDto(string Ensemble, DateTimeOffset Timestamp, int? OldLeaderId, int NewLeaderId, long Epoch, double? LeaderlessForMs)
    : EnsembleEventDto(Ensemble, Timestamp);

/// <summary>The leader of <see cref="Epoch"/> no longer leads; the timestamp starts the leaderless period.</summary>
public sealed record LeaderLostDto(string Ensemble, DateTimeOffset Timestamp, int OldLeaderId, long Epoch)
    : EnsembleEventDto(Ensemble, Timestamp);

/// <summary>Fewer than a majority of voters serve under a leader: writes stop.</summary>
public sealed record QuorumLostDto(string Ensemble, DateTimeOffset Timestamp, int ServingVoters, int Voters)
    : EnsembleEventDto(Ensemble, Timestamp);

/// <summary>A majority serves again.</summary>
public sealed record QuorumRestoredDto(string Ensemble, DateTimeOffset Timestamp, int ServingVoters, int Voters, double WithoutQuorumForMs)
    : EnsembleEventDto(Ensemble, Timestamp);

/// <summary>Requests per second over <see cref="IntervalMs"/>, for one member or (<see cref="ServerId"/> null) the ensemble (a sample).</summary>
public sealed record ThroughputSampleDto(
    string Ensemble,
    DateTimeOffset Timestamp,
    int? ServerId,
    double ReadsPerSecond,
    double WritesPerSecond,
    double LatencyAvg,
    double LatencyMax,
    double IntervalMs) : EnsembleEventDto(Ensemble, Timestamp);

/// <summary>The list of members changed (a reconfig committed, a joiner was provisioned or a leaver forgotten).</summary>
public sealed record MembershipChangedDto(string Ensemble, DateTimeOffset Timestamp, long ConfigVersion, IReadOnlyList<MemberSpecDto> Members)
    : EnsembleEventDto(Ensemble, Timestamp);

/// <summary>A configured member, as ZooKeeper's dynamic config line names it.</summary>
public sealed record MemberSpecDto(int ServerId, MemberRole Role, string Host, int QuorumPort, int ElectionPort, int ClientPort)
{
    public static MemberSpecDto From(MemberSpec m) => new(m.ServerId, m.Role, m.Host, m.QuorumPort, m.ElectionPort, m.ClientPort);
}

/// <summary>An operation on the ensemble started, moved on a step, or ended; <see cref="Operation"/> is its whole record now.</summary>
public sealed record OperationProgressedDto(string Ensemble, DateTimeOffset Timestamp, OperationDto Operation)
    : EnsembleEventDto(Ensemble, Timestamp);

/// <summary>An operation as the hub and the JSON API show it.</summary>
public sealed record OperationDto(
    Guid Id,
    OperationKind Kind,
    string Title,
    OperationState State,
    string RequestedBy,
    string? Reason,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    string? Outcome,
    string? Error,
    IReadOnlyList<OperationStepDto> Steps)
{
    public static OperationDto From(OperationRecord r) => new(
        r.Id, r.Kind, r.Title, r.State, r.RequestedBy, r.Reason, r.StartedAt, r.EndedAt, r.Outcome, r.Error,
        [.. r.Steps.Select(s => new OperationStepDto(s.Name, s.State, s.Duration?.TotalMilliseconds, s.Detail))]);

    // Records with lists compare by reference; two DTOs of the same record are equal when their parts are.
    public bool Equals(OperationDto? other) =>
        other is not null && (Id, Kind, Title, State, RequestedBy, Reason, StartedAt, EndedAt, Outcome, Error) ==
            (other.Id, other.Kind, other.Title, other.State, other.RequestedBy, other.Reason, other.StartedAt, other.EndedAt, other.Outcome, other.Error)
        && Steps.SequenceEqual(other.Steps);

    public override int GetHashCode() => HashCode.Combine(Id, State, Steps.Count);
}

/// <summary>One step of an operation on the wire.</summary>
public sealed record OperationStepDto(string Name, StepState State, double? DurationMs, string? Detail);
