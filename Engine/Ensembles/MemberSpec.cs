namespace QuorumPortal.Engine.Ensembles;

/// <summary>Whether a member votes (participant) or only follows the committed stream (observer).</summary>
public enum MemberRole
{
    Participant,
    Observer,
}

/// <summary>
/// One member of an ensemble as ZooKeeper's dynamic configuration names it:
/// <c>server.{ServerId}={Host}:{QuorumPort}:{ElectionPort}:{role};{ClientPort}</c>.
/// </summary>
public sealed record MemberSpec
{
    /// <summary>The member's id (ZooKeeper's <c>myid</c>), 1 to 255.</summary>
    public required int ServerId { get; init; }

    /// <summary>Participant (votes) or observer. Default: participant.</summary>
    public MemberRole Role { get; init; } = MemberRole.Participant;

    /// <summary>Host the member listens on. Default: 127.0.0.1.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port followers use to talk to the leader (ZooKeeper's 2888).</summary>
    public int QuorumPort { get; init; }

    /// <summary>Port used for leader election (ZooKeeper's 3888).</summary>
    public int ElectionPort { get; init; }

    /// <summary>Port clients connect to (ZooKeeper's 2181).</summary>
    public int ClientPort { get; init; }

    public bool IsVoter => Role == MemberRole.Participant;

    /// <summary>The member as a line of ZooKeeper's dynamic config file.</summary>
    public string ToConfigLine() =>
        $"server.{ServerId}={Host}:{QuorumPort}:{ElectionPort}:{(IsVoter ? "participant" : "observer")};{Host}:{ClientPort}";
}
