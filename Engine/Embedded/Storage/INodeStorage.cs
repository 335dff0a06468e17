namespace QuorumPortal.Engine.Embedded.Storage;

/// <summary>When appended transactions reach the disk.</summary>
public enum FsyncPolicy
{
    /// <summary>fsync after every transaction.</summary>
    Always,

    /// <summary>fsync once per batch (group commit): <see cref="INodeStorage.Flush"/> syncs everything appended so far.</summary>
    Batched,

    /// <summary>Never fsync; data reaches the OS only. Survives a process crash, not a power loss. For simulations and benchmarks.</summary>
    Off,
}

/// <summary>
/// One node's durable state, as ZooKeeper keeps it: <c>acceptedEpoch</c> and <c>currentEpoch</c>, an
/// append-only transaction log, and snapshots. The node calls it from its loop only (no concurrency).
/// A record is the encoded transaction; the storage does not interpret it beyond its zxid.
/// </summary>
/// <remarks>
/// An implementation may do the work of <see cref="Append"/>, <see cref="SaveSnapshot"/> and <see cref="Purge"/>
/// later on a thread of its own (<see cref="BackgroundNodeStorage"/>), in call order; everything else sees
/// their effects, and <see cref="BeginFlush"/> says when the records are durable.
/// </remarks>
internal interface INodeStorage : IDisposable
{
    long AcceptedEpoch { get; }

    long CurrentEpoch { get; }

    /// <summary>Durable when it returns.</summary>
    void SetAcceptedEpoch(long epoch);

    /// <summary>Durable when it returns.</summary>
    void SetCurrentEpoch(long epoch);

    /// <summary>Zxid of the last record appended (0 when the log and snapshots are empty).</summary>
    long LastLoggedZxid { get; }

    /// <summary>
    /// Appends a record; zxids must increase. Durable after the next <see cref="Flush"/> or <see cref="BeginFlush"/>.
    /// The storage may keep <paramref name="record"/> until then: the caller must not change it.
    /// </summary>
    void Append(long zxid, ReadOnlyMemory<byte> record);

    /// <summary>Makes every appended record as durable as the policy promises, before it returns.</summary>
    void Flush();

    /// <summary>
    /// Makes every record appended so far as durable as <see cref="Flush"/> does, without waiting for it.
    /// Returns true when they were durable before it returned (then <paramref name="onDurable"/> is not called);
    /// otherwise <paramref name="onDurable"/> is called once they are, on another thread, in the order of the calls
    /// (it must be quick and must not throw).
    /// </summary>
    bool BeginFlush(Action onDurable)
    {
        Flush();
        return true;
    }

    /// <summary>Records with zxid greater than <paramref name="afterZxid"/>, in order.</summary>
    IEnumerable<(long Zxid, byte[] Record)> ReadLog(long afterZxid);

    /// <summary>Removes every record with zxid greater than <paramref name="zxid"/> (ZooKeeper's TRUNC); what remains is durable when it returns.</summary>
    void TruncateAfter(long zxid);

    /// <summary>Writes a snapshot of the state after applying <paramref name="zxid"/>; durable when it returns, or (if the storage works in the background) once a later flush is.</summary>
    void SaveSnapshot(long zxid, ReadOnlySpan<byte> snapshot);

    /// <summary>The newest snapshot that reads back intact, or null.</summary>
    (long Zxid, byte[] Data)? LoadLatestSnapshot();

    /// <summary>Deletes snapshots beyond the newest <paramref name="retainSnapshots"/> and log records no kept snapshot needs.</summary>
    void Purge(int retainSnapshots);

    /// <summary>Replaces everything with a snapshot received from the leader (ZooKeeper's SNAP sync): log emptied, snapshot saved.</summary>
    void ResetTo(long zxid, ReadOnlySpan<byte> snapshot);
}
