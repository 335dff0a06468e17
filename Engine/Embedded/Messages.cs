using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded;

// Messages travel as objects over the in-memory network; nothing is serialised on the way, but each
// message carries exactly what ZooKeeper's wire packet of the same name carries.

/// <summary>A transaction with its encoded form, which is what the log stores and the digest hashes.</summary>
internal sealed record LogEntry(Txn Txn, byte[] Encoded)
{
    public long Zxid => Txn.Zxid;
}

/// <summary>A vote of fast leader election: whom to elect, by the candidate's last zxid and epoch.</summary>
internal readonly record struct Vote(int Leader, long Zxid, long PeerEpoch)
{
    public static readonly Vote None = new(-1, -1, -1);

    /// <summary>ZooKeeper's totalOrderPredicate: higher epoch, then higher zxid, then higher id wins.</summary>
    public bool IsBetterThan(Vote other) =>
        PeerEpoch > other.PeerEpoch
        || PeerEpoch == other.PeerEpoch && (Zxid > other.Zxid || Zxid == other.Zxid && Leader > other.Leader);

    public override string ToString() => $"(leader {Leader}, zxid {Zxid.ToString("x", System.Globalization.CultureInfo.InvariantCulture)}, epoch {PeerEpoch})";
}

/// <summary>An election notification (datagram): the sender's state, round and current vote.</summary>
/// <remarks>
/// Like ZooKeeper's, it carries the sender's configuration: a member that slept through a
/// reconfiguration learns the new membership here, or it would count quorums of the old one.
/// </remarks>
internal sealed record Notification(int Sid, PeerState State, long Round, Vote Vote, bool SenderVotes, long ConfigVersion, IReadOnlyList<MemberSpec> Members);

// ---- Discovery (ZooKeeper's FOLLOWERINFO / OBSERVERINFO, LEADERINFO, ACKEPOCH) ----

internal sealed record LearnerInfo(int Sid, long AcceptedEpoch, bool IsObserver, bool WantsSnapshot);

internal sealed record LeaderInfo(long NewEpoch);

internal sealed record AckEpoch(long CurrentEpoch, long LastZxid);

// ---- Synchronisation (DIFF, TRUNC, SNAP, NEWLEADER, UPTODATE) ----

internal enum SyncMode
{
    Diff,
    Trunc,
    Snap,
}

/// <summary>
/// The leader's answer to ACKEPOCH: how to get up to date. <see cref="TruncateTo"/> is used by TRUNC;
/// <see cref="Snapshot"/> (taken at <see cref="SnapshotZxid"/>) by SNAP. <see cref="Entries"/> follow in
/// every mode and become committed once the learner sees UPTODATE, up to <see cref="CommittedUpTo"/>.
/// </summary>
internal sealed record SyncStart(
    SyncMode Mode,
    long TruncateTo,
    byte[]? Snapshot,
    long SnapshotZxid,
    IReadOnlyList<LogEntry> Entries,
    long CommittedUpTo);

internal sealed record NewLeader(long Epoch);

internal sealed record UpToDate(long CommittedUpTo);

// ---- Broadcast ----

internal sealed record Proposal(LogEntry Entry);

/// <summary>Cumulative: the learner has logged every proposal up to <see cref="Zxid"/>.</summary>
internal sealed record Ack(long Zxid);

/// <summary>Cumulative: every proposal up to <see cref="Zxid"/> is committed.</summary>
internal sealed record Commit(long Zxid);

/// <summary>A committed transaction sent to an observer (ZooKeeper's INFORM).</summary>
internal sealed record Inform(LogEntry Entry);

/// <summary>Heartbeat from the leader.</summary>
internal sealed record Ping(long LeaderZxid);

/// <summary>A learner's answer to <see cref="Ping"/>, with the sessions its clients touched since the last one.</summary>
internal sealed record PingReply(long[] TouchedSessions);

/// <summary>A write a learner forwards to the leader for one of its client sessions.</summary>
internal sealed record ForwardedRequest(long SessionId, int Cxid, TxnOp Op);

/// <summary>The leader refused a forwarded request before proposing it (no transaction was created).</summary>
internal sealed record RequestRefused(long SessionId, int Cxid, Backends.CoordinationError Error, string Detail);

/// <summary>A client's sync, forwarded; the leader answers after every earlier proposal is committed.</summary>
internal sealed record SyncRequest(long SessionId, int Cxid);

internal sealed record SyncReply(long SessionId, int Cxid);
