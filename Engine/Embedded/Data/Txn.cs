using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded.Data;

/// <summary>
/// A deterministic operation. Every replica applies the same operations in zxid order to its
/// <see cref="DataTree"/> and gets the same result (success or error code), so the leader does not
/// need to pre-validate a request against state that is still in flight.
/// </summary>
internal abstract record TxnOp;

/// <remarks>
/// <see cref="Data"/> of a logged op is a slice of the transaction's encoded record (<see cref="TxnCodec.ShareData"/>),
/// so a write's payload is held once by the log window and the tree, not once in the record and once in the op.
/// </remarks>
internal sealed record CreateOp(string Path, ReadOnlyMemory<byte> Data, CreateMode Mode) : TxnOp
{
    /// <summary>Also lets a collection expression (<c>[1, 2]</c>) be the data.</summary>
    public CreateOp(string path, byte[] data, CreateMode mode)
        : this(path, (ReadOnlyMemory<byte>)data, mode)
    {
    }
}

internal sealed record DeleteOp(string Path, int Version) : TxnOp;

/// <remarks><see cref="Data"/> as in <see cref="CreateOp"/>.</remarks>
internal sealed record SetDataOp(string Path, ReadOnlyMemory<byte> Data, int Version) : TxnOp
{
    /// <summary>Also lets a collection expression (<c>[1, 2]</c>) be the data.</summary>
    public SetDataOp(string path, byte[] data, int version)
        : this(path, (ReadOnlyMemory<byte>)data, version)
    {
    }
}

/// <summary>Opens the session <see cref="Txn.SessionId"/> with the negotiated timeout.</summary>
internal sealed record CreateSessionOp(int TimeoutMs) : TxnOp;

/// <summary>Closes (or expires) <see cref="Txn.SessionId"/>: its ephemeral nodes are deleted.</summary>
internal sealed record CloseSessionOp : TxnOp;

/// <summary>
/// The new membership, complete. Once applied, its version is the zxid that applied it. <see cref="ExpectedVersion"/>
/// (ZooKeeper's <c>fromConfig</c>; -1 for none) is checked by the leader before it proposes, and not logged.
/// </summary>
internal sealed record ReconfigOp(IReadOnlyList<MemberSpec> Members, long ExpectedVersion = -1) : TxnOp;

/// <summary>
/// One transaction: the header ZooKeeper's <c>TxnHeader</c> carries (session, cxid, zxid, time) and the
/// operation. <see cref="Time"/> is the leader's wall clock in ms since the Unix epoch, used for ctime/mtime.
/// </summary>
internal sealed record Txn(long Zxid, long SessionId, int Cxid, long Time, TxnOp Op);

/// <summary>What applying a transaction produced: an error, or the path and stat a client is told.</summary>
internal sealed record TxnResult(CoordinationError? Error, string? Path = null, NodeStat? Stat = null)
{
    public static readonly TxnResult Ok = new((CoordinationError?)null);

    public bool Succeeded => Error is null;
}
