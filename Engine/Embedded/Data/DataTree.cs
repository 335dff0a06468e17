using System.Buffers;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded.Data;

/// <summary>
/// ZooKeeper's znode tree as a deterministic state machine: every replica applies the same
/// <see cref="Txn"/> sequence (<see cref="Apply(Txn)"/>) and ends in the same state with the same
/// results and the same <see cref="Digest"/>. Not thread-safe: a node uses it from its loop only.
/// </summary>
internal sealed partial class DataTree
{
    private readonly Dictionary<string, DataNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<long, int> _sessions = [];
    private readonly Dictionary<long, HashSet<string>> _ephemerals = [];
    private readonly ArrayBufferWriter<byte> _scratch = new();
    private MemberSpec[] _members = [];

    // Sum of path lengths and data lengths, as ZooKeeper's approximateDataSize.
    private long _dataSize;

    public DataTree(IReadOnlyList<MemberSpec> initialMembers)
    {
        ArgumentNullException.ThrowIfNull(initialMembers);
        Sessions = new ReadOnlyDictionary<long, int>(_sessions);
        _members = [.. initialMembers];
        var config = Encoding.UTF8.GetBytes(ConfigText(_members, 0));

        // ZooKeeper creates these with an all-zero stat; the config node's data is the membership.
        AddNode(ZnodePath.Root, new DataNode(ReadOnlyMemory<byte>.Empty, 0, 0, 0));
        AddNode(ZnodePath.ZooKeeper, new DataNode(ReadOnlyMemory<byte>.Empty, 0, 0, 0));
        AddNode(ZnodePath.Quota, new DataNode(ReadOnlyMemory<byte>.Empty, 0, 0, 0));
        AddNode(ZnodePath.Config, new DataNode(config, 0, 0, 0));

        // The digest covers the transaction history only: a member that joined later, started with a
        // different provisional membership, must agree with the others once it has applied the same history.
        Digest = 0;
    }

    // For Deserialize, which fills everything in.
    private DataTree() => Sessions = new ReadOnlyDictionary<long, int>(_sessions);

    /// <summary>Zxid of the last applied txn (0 before any).</summary>
    public long LastProcessedZxid { get; private set; }

    /// <summary>Chain hash over every applied txn: equal on replicas with equal histories.</summary>
    public ulong Digest { get; private set; }

    /// <summary>
    /// Znode count as ZooKeeper's <c>zk_znode_count</c>, which is one more than the znodes because its
    /// node map also holds the root under the alias "" (a fresh server reports 5).
    /// </summary>
    public int NodeCount => _nodes.Count + 1;

    /// <summary>Open sessions: id → timeout in ms.</summary>
    public IReadOnlyDictionary<long, int> Sessions { get; }

    /// <summary>ZooKeeper's <c>zk_approximate_data_size</c>: path lengths plus data lengths (the root's data counted twice, as ZooKeeper's "" alias does).</summary>
    public long ApproximateDataSize => _dataSize + _nodes[ZnodePath.Root].Data.Length;

    /// <summary>Count of ephemeral znodes, as ZooKeeper's <c>zk_ephemerals_count</c>.</summary>
    public int EphemeralCount => _ephemerals.Values.Sum(paths => paths.Count);

    public IReadOnlyList<MemberSpec> Members => _members;

    /// <summary>The zxid of the reconfig that installed <see cref="Members"/> (0 for the initial membership).</summary>
    public long ConfigVersion { get; private set; }

    /// <summary>The data of the node, a copy; null when there is no such node.</summary>
    public NodeData? GetData(string path)
    {
        var node = Find(path);
        return node is null ? null : new NodeData(node.Data.ToArray(), node.ToStat());
    }

    /// <summary>The stat of the node; null when there is no such node.</summary>
    public NodeStat? Exists(string path) => Find(path)?.ToStat();

    /// <summary>The child names sorted ordinal; null when there is no such node.</summary>
    public IReadOnlyList<string>? GetChildren(string path)
    {
        var node = Find(path);
        if (node is null)
        {
            return null;
        }

        var children = node.Children.ToArray();
        Array.Sort(children, StringComparer.Ordinal);
        return children;
    }

    /// <summary>The paths of the session's ephemeral nodes, sorted ordinal (empty for an unknown session).</summary>
    public IReadOnlyCollection<string> EphemeralsOf(long sessionId)
    {
        if (!_ephemerals.TryGetValue(sessionId, out var paths))
        {
            return [];
        }

        var sorted = paths.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        return sorted;
    }

    /// <summary>The text of <c>/zookeeper/config</c>: sorted <c>server.N=…</c> lines, then <c>version=&lt;hex&gt;</c>, no trailing newline.</summary>
    public static string ConfigText(IEnumerable<MemberSpec> members, long version) =>
        string.Join('\n', members
            .OrderBy(m => m.ServerId)
            .Select(m => m.ToConfigLine())
            .Append("version=" + version.ToString("x", CultureInfo.InvariantCulture)));

    private DataNode? Find(string path)
    {
        if (!ZnodePath.IsValid(path))
        {
            throw new CoordinationException(CoordinationError.BadArguments, path, "invalid path");
        }

        return _nodes.GetValueOrDefault(path);
    }

    // Links a node into the maps and its parent's children; stats are the caller's business.
    private void AddNode(string path, DataNode node)
    {
        _nodes.Add(path, node);
        _dataSize += path.Length + node.Data.Length;
        if (path.Length > 1)
        {
            _nodes[ZnodePath.ParentOf(path)].Children.Add(ZnodePath.NameOf(path));
        }

        if (node.EphemeralOwner != 0)
        {
            if (!_ephemerals.TryGetValue(node.EphemeralOwner, out var paths))
            {
                _ephemerals[node.EphemeralOwner] = paths = new HashSet<string>(StringComparer.Ordinal);
            }

            paths.Add(path);
        }
    }
}
