using QuorumPortal.Engine.Embedded.Storage;

namespace QuorumPortal.Engine.Embedded;

/// <summary>Knobs of the embedded protocol that ZooKeeper's <c>zoo.cfg</c> does not have.</summary>
public sealed record EmbeddedOptions
{
    /// <summary>When log appends reach the disk. Default: batched (group commit).</summary>
    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.Batched;

    /// <summary>
    /// How long an election waits for a better vote once a quorum agrees (ZooKeeper's finalizeWait, 200 ms);
    /// null means tickTime / 4, at least 5 ms.
    /// </summary>
    public TimeSpan? FinalizeWait { get; init; }

    /// <summary>Upper bound of the doubling notification timeout (ZooKeeper's maxNotificationInterval). Default 60 s.</summary>
    public TimeSpan MaxNotificationInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Committed transactions kept in memory for DIFF syncs before a follower needs a SNAP. Default 500, as ZooKeeper's commitLogCount: a larger window keeps more entries alive into gen2 and lengthens GC pauses.</summary>
    public int CommittedLogCapacity { get; init; } = 500;

    /// <summary>
    /// Whether each member's log appends and flushes run on a log-writer thread of their own (ZooKeeper's
    /// SyncRequestProcessor), so its loop never waits for <c>fsync</c>; false: the loop writes its log itself.
    /// Snapshot files, purges and closing full log files are written in the background either way. Default (null): a
    /// writer thread when <see cref="Fsync"/> syncs (batched, always); the loop when it is off, where a write only
    /// copies into the page cache and the hop to another thread and back costs more than it saves (docs/benchmarks.md,
    /// embedded-writes).
    /// </summary>
    public bool? LogWriterThread { get; init; }

    /// <summary>Whether members write their logs on a log-writer thread, <see cref="LogWriterThread"/> resolved.</summary>
    internal bool UsesLogWriterThread => LogWriterThread ?? Fsync != FsyncPolicy.Off;

    /// <summary>
    /// How many threads run the members' loops, shared by all members of the ensemble (each member's work still runs
    /// one item at a time, in order). Default (null): one per core, at least two. 0: a thread of its own per member.
    /// Sharing measured better on two cores: with a thread per member every message woke a thread, and the members
    /// spent more time waiting to be scheduled than running (docs/benchmarks.md, embedded-writes).
    /// </summary>
    public int? LoopThreads { get; init; }

    /// <summary>Snapshots kept on disk by the purge after each snapshot. Default 3.</summary>
    public int SnapshotsRetained { get; init; } = 3;

    internal TimeSpan EffectiveFinalizeWait(int tickTimeMs) =>
        FinalizeWait ?? TimeSpan.FromMilliseconds(Math.Max(5, tickTimeMs / 4));

    /// <summary>
    /// Test-only defects, so the simulation can prove its checker catches a broken protocol.
    /// Never set outside tests.
    /// </summary>
    internal ProtocolDefects Defects { get; init; } = ProtocolDefects.None;
}

[Flags]
internal enum ProtocolDefects
{
    None = 0,

    /// <summary>The leader commits a proposal as soon as it logs it, without waiting for a quorum of acks.</summary>
    CommitWithoutQuorum = 1,

    /// <summary>Elections ignore history (votes compare server ids only) and a leader behind its followers leads anyway.</summary>
    ElectionIgnoresHistory = 2,
}

/// <summary>Hooks the simulation's checker listens on. Called on the node's loop.</summary>
internal interface IPeerObserver
{
    /// <summary>The node established leadership of <paramref name="epoch"/> (a quorum acknowledged NEWLEADER).</summary>
    void OnLeading(int serverId, long epoch);

    /// <summary>
    /// The node's tree now reflects every committed transaction up to <paramref name="zxid"/>, with this digest;
    /// <paramref name="txn"/> is the transaction just applied, or null when a sync brought the node here.
    /// </summary>
    void OnApplied(int serverId, long zxid, ulong digest, Data.Txn? txn);

    void OnStateChanged(int serverId, Ensembles.PeerState state);
}
