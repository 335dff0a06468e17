namespace QuorumPortal.Engine.Ensembles;

/// <summary>An ensemble at one moment: its members as configured and each one's last probe.</summary>
public sealed record EnsembleSnapshot
{
    public required string Name { get; init; }

    public required BackendKind Backend { get; init; }

    public required IReadOnlyList<MemberSpec> Members { get; init; }

    public required IReadOnlyList<MemberStatus> Statuses { get; init; }

    /// <summary>Members provisioned and probed but not yet in the committed configuration; they count in no quorum.</summary>
    public IReadOnlyCollection<int> Joining { get; init; } = [];

    public required DateTimeOffset TakenAt { get; init; }

    /// <summary>The member leading in the newest epoch, if any (a deposed leader may briefly still say it leads).</summary>
    /// <remarks>
    /// A member that won an election but has not yet synced a quorum (phase Discovery or Synchronization) does
    /// not lead yet: ZooKeeper answers "not currently serving requests" then, and so this counts it out.
    /// </remarks>
    public int? LeaderId => Statuses.Where(s => s.State == PeerState.Leading && IsBroadcasting(s))
        .OrderByDescending(s => s.Epoch).Select(s => (int?)s.ServerId).FirstOrDefault();

    public long Epoch => Statuses.Where(s => s.IsServing).Select(s => s.Epoch).DefaultIfEmpty().Max();

    public int VoterCount => Members.Count(m => m.IsVoter && !Joining.Contains(m.ServerId));

    /// <summary>Voting members serving under the leader, the leader included.</summary>
    public int ServingVoters => Statuses.Count(s =>
        s.Role == MemberRole.Participant && s.State is PeerState.Leading or PeerState.Following && IsBroadcasting(s) && !Joining.Contains(s.ServerId));

    private static bool IsBroadcasting(MemberStatus status) => status.Phase is null or ZabPhase.Broadcast;

    public bool HasQuorum => LeaderId is not null && QuorumMath.IsQuorum(ServingVoters, VoterCount);

    /// <summary>Failures the ensemble can still take: serving voters beyond the majority.</summary>
    public int FailuresLeft => HasQuorum ? ServingVoters - QuorumMath.Majority(VoterCount) : 0;

    public MemberStatus? Status(int serverId) => Statuses.FirstOrDefault(s => s.ServerId == serverId);
}
