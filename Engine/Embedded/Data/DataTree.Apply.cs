using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded.Data;

/// <summary>Applying transactions, with ZooKeeper's checks in its order and its stat rules.</summary>
internal sealed partial class DataTree
{
    /// <summary>Applies a txn, encoding it to feed the digest. Prefer <see cref="Apply(Txn, ReadOnlySpan{byte})"/> when the bytes are at hand.</summary>
    public TxnResult Apply(Txn txn)
    {
        ArgumentNullException.ThrowIfNull(txn);
        _scratch.ResetWrittenCount();
        TxnCodec.Encode(txn, _scratch);
        return Apply(txn, _scratch.WrittenSpan);
    }

    /// <summary>
    /// Applies a txn whose <see cref="TxnCodec"/> encoding is <paramref name="encoded"/> (trusted to match).
    /// Failed ops still advance <see cref="LastProcessedZxid"/> and the digest, as ZooKeeper logs error txns.
    /// </summary>
    /// <param name="withResult">
    /// False when nobody reads the result's path and stat (a member that does not serve the txn's session): a
    /// success then returns <see cref="TxnResult.Ok"/>, which spares two objects per write on every such member.
    /// </param>
    /// <exception cref="InvalidOperationException">The zxid is not above <see cref="LastProcessedZxid"/>: the caller applied out of order.</exception>
    public TxnResult Apply(Txn txn, ReadOnlySpan<byte> encoded, bool withResult = true)
    {
        ArgumentNullException.ThrowIfNull(txn);
        if (txn.Zxid <= LastProcessedZxid)
        {
            throw new InvalidOperationException(
                $"Txn {Zxid.ToHex(txn.Zxid)} applied out of order: the tree is at {Zxid.ToHex(LastProcessedZxid)}.");
        }

        var result = txn.Op switch
        {
            CreateOp op => Create(txn, op, withResult),
            DeleteOp op => Delete(txn.Zxid, op, withResult),
            SetDataOp op => SetData(txn, op, withResult),
            CreateSessionOp op => CreateSession(txn.SessionId, op),
            CloseSessionOp => CloseSession(txn.Zxid, txn.SessionId),
            ReconfigOp op => Reconfig(txn, op),
            _ => throw new ArgumentException($"Unknown txn op {txn.Op.GetType().Name}.", nameof(txn)),
        };

        LastProcessedZxid = txn.Zxid;
        Digest = Hash64.Mix(Digest, txn.Zxid, Hash64.Compute(encoded));
        return result;
    }

    private TxnResult Create(Txn txn, CreateOp op, bool withResult)
    {
        var ephemeral = op.Mode is CreateMode.Ephemeral or CreateMode.EphemeralSequential;
        var sequential = op.Mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential;

        // ZooKeeper checks the session before anything else.
        if (ephemeral && !_sessions.ContainsKey(txn.SessionId))
        {
            return Fail(CoordinationError.SessionExpired, op.Path);
        }

        // A sequential path may end in '/' (the counter is then the whole name), so validate it with a digit appended.
        if (!ZnodePath.IsValid(sequential ? op.Path + "0" : op.Path) || ZnodePath.IsReserved(op.Path))
        {
            return Fail(CoordinationError.BadArguments, op.Path);
        }

        if (op.Path.Length == 1)
        {
            return Fail(CoordinationError.NodeExists, op.Path);
        }

        var parentPath = ZnodePath.ParentOf(op.Path);
        if (!_nodes.TryGetValue(parentPath, out var parent))
        {
            return Fail(CoordinationError.NoNode, op.Path);
        }

        // The counter is the parent's cversion before this create bumps it.
        var path = sequential ? op.Path + ZnodePath.SequenceSuffix(parent.Cversion) : op.Path;
        if (_nodes.ContainsKey(path))
        {
            return Fail(CoordinationError.NodeExists, path);
        }

        if (parent.EphemeralOwner != 0)
        {
            return Fail(CoordinationError.NoChildrenForEphemerals, path);
        }

        var node = new DataNode(op.Data, txn.Zxid, txn.Time, ephemeral ? txn.SessionId : 0);
        AddNode(path, node);
        parent.Cversion++;
        parent.Pzxid = txn.Zxid;
        return withResult ? new TxnResult(null, path, node.ToStat()) : TxnResult.Ok;
    }

    private TxnResult Delete(long zxid, DeleteOp op, bool withResult)
    {
        if (!ZnodePath.IsValid(op.Path) || op.Path.Length == 1 || ZnodePath.IsReserved(op.Path))
        {
            return Fail(CoordinationError.BadArguments, op.Path);
        }

        if (!_nodes.TryGetValue(op.Path, out var node))
        {
            return Fail(CoordinationError.NoNode, op.Path);
        }

        if (op.Version != -1 && op.Version != node.Version)
        {
            return Fail(CoordinationError.BadVersion, op.Path);
        }

        if (node.Children.Count > 0)
        {
            return Fail(CoordinationError.NotEmpty, op.Path);
        }

        RemoveNode(zxid, op.Path, node);
        return withResult ? new TxnResult(null, op.Path) : TxnResult.Ok;
    }

    private TxnResult SetData(Txn txn, SetDataOp op, bool withResult)
    {
        if (!ZnodePath.IsValid(op.Path) || ZnodePath.IsReserved(op.Path))
        {
            return Fail(CoordinationError.BadArguments, op.Path);
        }

        if (!_nodes.TryGetValue(op.Path, out var node))
        {
            return Fail(CoordinationError.NoNode, op.Path);
        }

        if (op.Version != -1 && op.Version != node.Version)
        {
            return Fail(CoordinationError.BadVersion, op.Path);
        }

        ReplaceData(node, op.Data, txn);
        return withResult ? new TxnResult(null, op.Path, node.ToStat()) : TxnResult.Ok;
    }

    private TxnResult CreateSession(long sessionId, CreateSessionOp op)
    {
        // 0 means "no owner" in a stat, so it can never own ephemerals.
        if (sessionId == 0 || op.TimeoutMs <= 0)
        {
            return Fail(CoordinationError.BadArguments, null);
        }

        _sessions.TryAdd(sessionId, op.TimeoutMs);
        return TxnResult.Ok;
    }

    private TxnResult CloseSession(long zxid, long sessionId)
    {
        if (_ephemerals.TryGetValue(sessionId, out var paths))
        {
            // Sorted so every replica bumps parents' cversions in the same order (ephemerals have no children).
            var ordered = paths.ToArray();
            Array.Sort(ordered, StringComparer.Ordinal);
            foreach (var path in ordered)
            {
                RemoveNode(zxid, path, _nodes[path]);
            }
        }

        _sessions.Remove(sessionId);
        return TxnResult.Ok;
    }

    private TxnResult Reconfig(Txn txn, ReconfigOp op)
    {
        if (op.Members.Count == 0 || op.Members.DistinctBy(m => m.ServerId).Count() != op.Members.Count)
        {
            return Fail(CoordinationError.BadArguments, ZnodePath.Config);
        }

        _members = [.. op.Members];
        ConfigVersion = txn.Zxid;
        var config = _nodes[ZnodePath.Config];

        // ZooKeeper's reconfig is a SetData of /zookeeper/config; we count its version up rather than
        // storing ZooKeeper's literal -1, so the portal can show how many reconfigs happened.
        ReplaceData(config, Encoding.UTF8.GetBytes(ConfigText(_members, ConfigVersion)), txn);
        return new TxnResult(null, ZnodePath.Config, config.ToStat());
    }

    private void ReplaceData(DataNode node, ReadOnlyMemory<byte> data, Txn txn)
    {
        _dataSize += data.Length - node.Data.Length;
        node.Data = data;
        node.Version++;
        node.Mzxid = txn.Zxid;
        node.Mtime = txn.Time;
    }

    private void RemoveNode(long zxid, string path, DataNode node)
    {
        _nodes.Remove(path);
        _dataSize -= path.Length + node.Data.Length;
        var parent = _nodes[ZnodePath.ParentOf(path)];
        parent.Children.Remove(ZnodePath.NameOf(path));
        parent.Cversion++;
        parent.Pzxid = zxid;
        if (node.EphemeralOwner != 0 && _ephemerals.TryGetValue(node.EphemeralOwner, out var paths))
        {
            paths.Remove(path);
            if (paths.Count == 0)
            {
                _ephemerals.Remove(node.EphemeralOwner);
            }
        }
    }

    private static TxnResult Fail(CoordinationError error, string? path) => new(error, path);
}
