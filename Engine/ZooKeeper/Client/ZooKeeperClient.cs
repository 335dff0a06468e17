using System.Security.Cryptography;
using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.ZooKeeper.Jute;

namespace QuorumPortal.Engine.ZooKeeper.Client;

/// <summary>
/// An async client for a real ZooKeeper 3.8 ensemble over its binary wire protocol: one session,
/// pipelined requests answered in order, pings while idle, and on connection loss a resume of the same
/// session on another server. Requests in flight at the loss fail with <see cref="CoordinationError.ConnectionLoss"/>;
/// requests made while reconnecting wait (up to the session timeout) for the new connection.
/// </summary>
public sealed partial class ZooKeeperClient : ICoordinationClient
{
    /// <summary>The node holding the dynamic configuration (never chrooted).</summary>
    public const string ConfigNode = "/zookeeper/config";

    /// <summary>Opens a session on one of the servers of <paramref name="options"/>.</summary>
    public static async Task<ZooKeeperClient> ConnectAsync(ZooKeeperClientOptions options, CancellationToken cancellationToken = default)
    {
        var client = new ZooKeeperClient(options);
        try
        {
            await client.ConnectFirstAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static Task<ZooKeeperClient> ConnectAsync(string connectionString, TimeSpan sessionTimeout, CancellationToken cancellationToken = default) =>
        ConnectAsync(new ZooKeeperClientOptions { ConnectionString = connectionString, SessionTimeout = sessionTimeout }, cancellationToken);

    public Task<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode = CreateMode.Persistent, CancellationToken cancellationToken = default) =>
        CreateAsync(path, data, mode, acl: null, cancellationToken);

    /// <summary>Creates a node with the given ACL (default <see cref="Acl.OpenUnsafe"/>) and returns its actual path.</summary>
    public async Task<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode, IReadOnlyList<Acl>? acl, CancellationToken cancellationToken = default)
    {
        var request = new CreateRequest(path, data.ToArray(), acl ?? Acl.OpenUnsafe, (int)mode);
        var response = await SendAsync(OpCode.Create, request, path, static (ref JuteReader r) => CreateResponse.Read(ref r), cancellationToken).ConfigureAwait(false);
        return response.Path;
    }

    public async Task DeleteAsync(string path, int expectedVersion = -1, CancellationToken cancellationToken = default) =>
        await SendAsync<object?>(OpCode.Delete, new DeleteRequest(path, expectedVersion), path, null, cancellationToken).ConfigureAwait(false);

    public Task<NodeStat?> ExistsAsync(string path, CancellationToken cancellationToken = default) => ExistsAsync(path, watch: false, cancellationToken);

    /// <summary>The stat or null; with <paramref name="watch"/> a watch is left either way (it fires on create, change or delete).</summary>
    public Task<NodeStat?> ExistsAsync(string path, bool watch, CancellationToken cancellationToken = default) =>
        SendAsync(OpCode.Exists, new ExistsRequest(path, watch), path, static (ref JuteReader r) => (NodeStat?)JuteStat.Read(ref r), cancellationToken,
            watch ? WatchKind.Exists : WatchKind.None, nullOnNoNode: true);

    public Task<NodeData> GetDataAsync(string path, CancellationToken cancellationToken = default) => GetDataAsync(path, watch: false, cancellationToken);

    /// <summary>The data and stat; with <paramref name="watch"/> a data watch fires on the next change or delete.</summary>
    public async Task<NodeData> GetDataAsync(string path, bool watch, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(OpCode.GetData, new GetDataRequest(path, watch), path, static (ref JuteReader r) => GetDataResponse.Read(ref r), cancellationToken,
            watch ? WatchKind.Data : WatchKind.None).ConfigureAwait(false);
        return new NodeData(response.Data ?? [], response.Stat);
    }

    public async Task<NodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int expectedVersion = -1, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(OpCode.SetData, new SetDataRequest(path, data.ToArray(), expectedVersion), path, static (ref JuteReader r) => StatResponse.Read(ref r), cancellationToken).ConfigureAwait(false);
        return response.Stat;
    }

    public Task<IReadOnlyList<string>> GetChildrenAsync(string path, CancellationToken cancellationToken = default) => GetChildrenAsync(path, watch: false, cancellationToken);

    /// <summary>The child names (unsorted); with <paramref name="watch"/> a child watch fires when the list changes.</summary>
    public async Task<IReadOnlyList<string>> GetChildrenAsync(string path, bool watch, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(OpCode.GetChildren, new GetChildrenRequest(path, watch), path, static (ref JuteReader r) => GetChildrenResponse.Read(ref r), cancellationToken,
            watch ? WatchKind.Children : WatchKind.None).ConfigureAwait(false);
        return response.Children;
    }

    public async Task SyncAsync(string path = "/", CancellationToken cancellationToken = default) =>
        await SendAsync(OpCode.Sync, new SyncRequest(path), path, static (ref JuteReader r) => SyncResponse.Read(ref r), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Applies all ops atomically. If one fails, none is applied and a <see cref="CoordinationException"/>
    /// names the failing op's path and index.
    /// </summary>
    public async Task<IReadOnlyList<MultiOpResult>> MultiAsync(IReadOnlyList<MultiOp> ops, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var request = new MultiRequest([.. ops.Select(ToRequestOp)]);
        var response = await SendAsync(OpCode.Multi, request, null, static (ref JuteReader r) => MultiResponse.Read(ref r), cancellationToken).ConfigureAwait(false);
        if (response.Results.Count != ops.Count)
        {
            throw new CoordinationException(CoordinationError.MarshallingError, null, $"multi of {ops.Count} ops answered with {response.Results.Count} results");
        }

        // The failing op carries its real code; ops after it carry RuntimeInconsistency ("not run").
        var failed = response.Results.Select((r, i) => (r, i)).Where(x => x.r.Err != 0).ToList();
        if (failed.Count > 0)
        {
            var (result, index) = failed.FirstOrDefault(x => x.r.Err != (int)CoordinationError.RuntimeInconsistency, failed[0]);
            throw new CoordinationException(KeeperErrors.ToCoordinationError(result.Err), ops[index].Path, $"multi op {index} ({ops[index].GetType().Name}) failed; no op was applied");
        }

        return [.. response.Results.Select(r => r.Body switch
        {
            CreateResponse c => new MultiOpResult(c.Path, null),
            Create2Response c => new MultiOpResult(c.Path, c.Stat),
            StatResponse s => new MultiOpResult(null, s.Stat),
            _ => new MultiOpResult(null, null),
        })];
    }

    /// <summary>The dynamic configuration text (<c>server.N=…</c> lines, then <c>version=…</c>); empty on a standalone server.</summary>
    public Task<NodeData> GetConfigAsync(bool watch = false, CancellationToken cancellationToken = default) =>
        GetDataAsync(ConfigNode, watch, cancellationToken);

    /// <summary>
    /// Changes the membership. Incremental: <paramref name="joiningServers"/> ("server.4=host:qp:ep:participant;clientPort", comma
    /// separated) and <paramref name="leavingServers"/> ("2,3"); or the full <paramref name="newMembers"/>. <paramref name="fromConfig"/>
    /// is the expected current config version (-1: no check). Returns the new configuration. Needs WRITE on /zookeeper/config (super user).
    /// </summary>
    public async Task<NodeData> ReconfigAsync(string? joiningServers, string? leavingServers, string? newMembers = null, long fromConfig = -1, CancellationToken cancellationToken = default)
    {
        var request = new ReconfigRequest(NullIfEmpty(joiningServers), NullIfEmpty(leavingServers), NullIfEmpty(newMembers), fromConfig);
        var response = await SendAsync(OpCode.Reconfig, request, ConfigNode, static (ref JuteReader r) => GetDataResponse.Read(ref r), cancellationToken).ConfigureAwait(false);
        return new NodeData(response.Data ?? [], response.Stat);
    }

    /// <summary>Adds digest credentials to the session; they are resent on every reconnect.</summary>
    public Task AddAuthDigestAsync(string user, string password, CancellationToken cancellationToken = default) =>
        AddAuthAsync("digest", Encoding.UTF8.GetBytes($"{user}:{password}"), cancellationToken);

    /// <summary>The id a digest ACL entry needs for this user and password: <c>user:base64(sha1("user:password"))</c>.</summary>
    public static string DigestId(string user, string password) =>
        $"{user}:{Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes($"{user}:{password}")))}";

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static MultiRequestOp ToRequestOp(MultiOp op) => op switch
    {
        MultiOp.Create c => new MultiRequestOp(OpCode.Create, new CreateRequest(c.Path, c.Data.ToArray(), Acl.OpenUnsafe, (int)c.Mode)),
        MultiOp.Delete d => new MultiRequestOp(OpCode.Delete, new DeleteRequest(d.Path, d.Version)),
        MultiOp.SetData s => new MultiRequestOp(OpCode.SetData, new SetDataRequest(s.Path, s.Data.ToArray(), s.Version)),
        MultiOp.Check k => new MultiRequestOp(OpCode.Check, new CheckVersionRequest(k.Path, k.Version)),
        _ => throw new ArgumentException($"unknown multi op {op.GetType().Name}", nameof(op)),
    };
}

/// <summary>Maps ZooKeeper's <c>KeeperException.Code</c> to <see cref="CoordinationError"/>; the numbers are the same.</summary>
public static class KeeperErrors
{
    public static CoordinationError ToCoordinationError(int code) =>
        Enum.IsDefined((CoordinationError)code) && code != (int)CoordinationError.NoQuorum
            ? (CoordinationError)code
            : CoordinationError.SystemError; // a code newer than 3.8's list
}
