using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;

namespace QuorumPortal.Engine.Embedded;

/// <summary>What a client asks a member to do.</summary>
internal abstract record ClientOp
{
    public abstract bool IsWrite { get; }
}

internal enum ReadKind
{
    GetData,
    Exists,
    GetChildren,
}

/// <summary>Served by the member the client is connected to, from its own tree.</summary>
internal sealed record ReadOp(ReadKind Kind, string Path) : ClientOp
{
    public override bool IsWrite => false;
}

/// <summary>Ordered by the leader and answered once the connected member has applied it.</summary>
internal sealed record WriteOp(TxnOp Op) : ClientOp
{
    public override bool IsWrite => true;
}

/// <summary>Answered once the connected member has applied everything the leader committed before it.</summary>
internal sealed record SyncOp : ClientOp
{
    public override bool IsWrite => true;
}

/// <summary>The answer to one request, in the order the session sent them.</summary>
internal sealed record ClientReply(int Cxid, long Zxid, CoordinationError? Error, object? Result, string? Detail = null);

/// <summary>
/// A client's connection to one member, seen from the member. Every call comes from the member's loop,
/// except <see cref="OnDisconnected"/> after a crash, which comes from whoever crashed it.
/// </summary>
internal interface IClientConnection
{
    /// <summary>
    /// The member took the session. <paramref name="sessionZxid"/> is the zxid of the transaction that created it when this
    /// connect created it (a client must not resume it on a member that has not applied that), and 0 on a resume.
    /// </summary>
    void OnConnected(long sessionId, int negotiatedTimeoutMs, int serverId, long sessionZxid);

    void OnReply(ClientReply reply);

    /// <summary>The member dropped the connection: it crashed, left the quorum, or the session expired.</summary>
    void OnDisconnected(CoordinationError reason);
}
