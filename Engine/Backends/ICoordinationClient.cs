namespace QuorumPortal.Engine.Backends;

/// <summary>How a znode is created, as ZooKeeper's <c>CreateMode</c>.</summary>
public enum CreateMode
{
    Persistent = 0,
    Ephemeral = 1,
    PersistentSequential = 2,
    EphemeralSequential = 3,
}

/// <summary>ZooKeeper's <c>Stat</c> of a znode.</summary>
public sealed record NodeStat(
    long Czxid,
    long Mzxid,
    long Ctime,
    long Mtime,
    int Version,
    int Cversion,
    int Aversion,
    long EphemeralOwner,
    int DataLength,
    int NumChildren,
    long Pzxid);

/// <summary>A znode's data with its stat.</summary>
public sealed record NodeData(byte[] Data, NodeStat Stat);

/// <summary>
/// A client session on an ensemble: the operations workloads, drills and the portal use, with the same
/// meaning on every backend. Writes are linearizable; reads are served by the member the session is
/// connected to (sequentially consistent); <see cref="SyncAsync"/> catches that member up with the leader.
/// Every failure is a <see cref="CoordinationException"/>.
/// </summary>
public interface ICoordinationClient : IAsyncDisposable
{
    /// <summary>The session id the ensemble assigned.</summary>
    long SessionId { get; }

    /// <summary>The member the session is connected to now, if any.</summary>
    int? ConnectedServerId { get; }

    /// <summary>Highest zxid this session has seen.</summary>
    long LastZxidSeen { get; }

    /// <summary>Creates a znode and returns its actual path (with the sequence suffix for sequential modes).</summary>
    Task<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode = CreateMode.Persistent, CancellationToken cancellationToken = default);

    Task<NodeData> GetDataAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Sets the data if the version matches (-1 matches any) and returns the new stat.</summary>
    Task<NodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int expectedVersion = -1, CancellationToken cancellationToken = default);

    Task DeleteAsync(string path, int expectedVersion = -1, CancellationToken cancellationToken = default);

    /// <summary>The stat, or null when there is no such node.</summary>
    Task<NodeStat?> ExistsAsync(string path, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<string>> GetChildrenAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Waits until the connected member has applied everything the leader committed before the call.</summary>
    Task SyncAsync(string path = "/", CancellationToken cancellationToken = default);
}
