using QuorumPortal.Engine.Backends;

namespace QuorumPortal.Engine.ZooKeeper.Client;

/// <summary>One operation of an atomic <see cref="ZooKeeperClient.MultiAsync"/>.</summary>
public abstract record MultiOp(string Path)
{
    public sealed record Create(string Path, ReadOnlyMemory<byte> Data, CreateMode Mode = CreateMode.Persistent) : MultiOp(Path);

    public sealed record Delete(string Path, int Version = -1) : MultiOp(Path);

    public sealed record SetData(string Path, ReadOnlyMemory<byte> Data, int Version = -1) : MultiOp(Path);

    /// <summary>Fails the multi unless the node's version equals <see cref="Version"/>.</summary>
    public sealed record Check(string Path, int Version) : MultiOp(Path);
}

/// <summary>The outcome of one op of a successful multi: the created path, or the new stat of a setData.</summary>
public sealed record MultiOpResult(string? CreatedPath, NodeStat? Stat);
