using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;

namespace QuorumPortal.Engine.Embedded;

/// <summary>
/// A client session on an <see cref="EmbeddedEnsemble"/>, with ZooKeeper's client semantics under faults. It holds one
/// connection at a time, to one member, and pipelines requests on it; replies come back in the order sent. When the
/// connection is reset — the member crashed or stopped, stopped serving, dropped the session, or stopped answering
/// pings — every request in flight on it fails at once with <see cref="CoordinationError.ConnectionLoss"/> (outcome
/// unknown: it may have been applied), and one background reconnect resumes the same session on the next member of the
/// list, never on one behind the last zxid this session has seen. Requests issued meanwhile wait for that reconnect, up
/// to the session timeout, then fail with connection loss; nothing is sent on a connection once it is reset.
/// </summary>
public sealed partial class EmbeddedCoordinationClient : ICoordinationClient
{
    private readonly EmbeddedEnsemble _ensemble;
    private readonly ClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    internal EmbeddedCoordinationClient(EmbeddedEnsemble ensemble, ClientOptions options, TimeProvider time)
    {
        _ensemble = ensemble;
        _options = options;
        _time = time;
        _timeoutMs = (int)options.SessionTimeout.TotalMilliseconds;
        _nextServer = ensemble.NextClientSeed();
        _pingTimer = time.CreateTimer(_ => OnPingTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        // One sweep for all requests instead of a timer per request (a timer, a promise and a task for every write):
        // a request fails between RequestTimeout and a quarter of it later.
        var sweep = TimeSpan.FromTicks(Math.Clamp(options.RequestTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        _timeoutTimer = time.CreateTimer(_ => FailOverdueRequests(), null, sweep, sweep);
    }

    public long SessionId => Volatile.Read(ref _sessionId);

    public int? ConnectedServerId
    {
        get
        {
            lock (_gate)
            {
                return _current?.ServerId;
            }
        }
    }

    public long LastZxidSeen => Volatile.Read(ref _lastZxid);

    public async Task<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode = CreateMode.Persistent, CancellationToken cancellationToken = default) =>
        (string)(await SendAsync(new WriteOp(new CreateOp(path, data.ToArray(), mode)), path, cancellationToken).ConfigureAwait(false)).Result!;

    public async Task<NodeData> GetDataAsync(string path, CancellationToken cancellationToken = default) =>
        (NodeData)(await SendAsync(new ReadOp(ReadKind.GetData, path), path, cancellationToken).ConfigureAwait(false)).Result!;

    public async Task<NodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int expectedVersion = -1, CancellationToken cancellationToken = default) =>
        (NodeStat)(await SendAsync(new WriteOp(new SetDataOp(path, data.ToArray(), expectedVersion)), path, cancellationToken).ConfigureAwait(false)).Result!;

    public Task DeleteAsync(string path, int expectedVersion = -1, CancellationToken cancellationToken = default) =>
        SendAsync(new WriteOp(new DeleteOp(path, expectedVersion)), path, cancellationToken);

    public async Task<NodeStat?> ExistsAsync(string path, CancellationToken cancellationToken = default) =>
        (NodeStat?)(await SendAsync(new ReadOp(ReadKind.Exists, path), path, cancellationToken).ConfigureAwait(false)).Result;

    public async Task<IReadOnlyList<string>> GetChildrenAsync(string path, CancellationToken cancellationToken = default) =>
        (IReadOnlyList<string>)(await SendAsync(new ReadOp(ReadKind.GetChildren, path), path, cancellationToken).ConfigureAwait(false)).Result!;

    public Task SyncAsync(string path = "/", CancellationToken cancellationToken = default) =>
        SendAsync(new SyncOp(), path, cancellationToken);

    /// <summary>Commits a new membership (ZooKeeper's reconfig) and returns the new configuration version.</summary>
    internal async Task<long> ReconfigAsync(IReadOnlyList<Ensembles.MemberSpec> members, long expectedVersion, CancellationToken cancellationToken) =>
        (long)(await SendAsync(new WriteOp(new ReconfigOp(members, expectedVersion)), "/zookeeper/config", cancellationToken).ConfigureAwait(false)).Result!;

    /// <summary>
    /// Sends one request on the current connection (waiting for the reconnect if there is none) and waits for its reply.
    /// <paramref name="closing"/> is the close-session request of <see cref="DisposeAsync"/>: it never waits for a reconnect.
    /// </summary>
    private async Task<ClientReply> SendAsync(ClientOp op, string path, CancellationToken cancellationToken, bool closing = false)
    {
        Pending pending;
        while (true)
        {
            var connection = await ConnectionAsync(path, closing, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                ThrowIfUnusable(path, closing);
                if (!connection.IsDead)
                {
                    // Numbered and posted under the lock, so the member receives requests in cxid order.
                    pending = new Pending(++_cxid, path, _time.GetTimestamp());
                    connection.Submit(pending, op);
                    break;
                }
            }
        }

        ClientReply reply;
        if (!cancellationToken.CanBeCanceled)
        {
            reply = await pending.Task.ConfigureAwait(false);
        }
        else
        {
            try
            {
                reply = await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                pending.Abandon();
                throw;
            }
        }

        if (reply.Error is { } error)
        {
            throw new CoordinationException(error, path, reply.Detail);
        }

        return reply;
    }

    /// <summary>Throws if no request may be sent any more. Call under the lock.</summary>
    private void ThrowIfUnusable(string? path, bool closing = false)
    {
        if (_closing && !closing)
        {
            throw new ObjectDisposedException(nameof(EmbeddedCoordinationClient));
        }

        if (_expired)
        {
            throw new CoordinationException(CoordinationError.SessionExpired, path, $"session 0x{_sessionId:x}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Connection? current;
        lock (_gate)
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
            current = _expired ? null : _current;
        }

        if (current is not null)
        {
            try
            {
                // Closing the session deletes its ephemerals now rather than after the timeout.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), _time);
                await SendAsync(new WriteOp(new CloseSessionOp()), "/", timeout.Token, closing: true).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CoordinationException or OperationCanceledException)
            {
                // The session will expire on its own.
            }
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _reconnect.ConfigureAwait(false);
        lock (_gate)
        {
            current = _current;
            _connected.TrySetResult();
        }

        if (current is not null)
        {
            Reset(current, CoordinationError.ConnectionLoss, "the client was closed");
        }

        await _pingTimer.DisposeAsync().ConfigureAwait(false);
        await _timeoutTimer.DisposeAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }
}
