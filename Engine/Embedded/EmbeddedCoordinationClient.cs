using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Embedded.Runtime;

namespace QuorumPortal.Engine.Embedded;

/// <summary>
/// A client session on an <see cref="EmbeddedEnsemble"/>: connects to one member, pipelines requests,
/// pings to keep the session alive, and on connection loss resumes the same session on another member.
/// Like ZooKeeper's client, a request in flight when the connection breaks fails with
/// <see cref="CoordinationError.ConnectionLoss"/> (its outcome unknown); later requests use the new connection.
/// </summary>
public sealed class EmbeddedCoordinationClient : ICoordinationClient
{
    private readonly EmbeddedEnsemble _ensemble;
    private readonly ClientOptions _options;
    private readonly object _gate = new();
    private readonly Dictionary<int, Pending> _pending = [];
    private readonly TimeProvider _time;
    private readonly ITimer _pingTimer;
    private readonly ITimer _timeoutTimer;
    private Attempt? _current;
    private TaskCompletionSource<bool>? _connected;
    private int _cxid;
    private long _sessionId;
    private long _lastZxid;
    private int _timeoutMs;
    private bool _expired;
    private bool _disposed;
    private int _nextServer;

    internal EmbeddedCoordinationClient(EmbeddedEnsemble ensemble, ClientOptions options, TimeProvider time)
    {
        _ensemble = ensemble;
        _options = options;
        _timeoutMs = (int)options.SessionTimeout.TotalMilliseconds;
        _nextServer = Random.Shared.Next(1000);
        _time = time;
        _pingTimer = time.CreateTimer(_ => Ping(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        // One sweep for all requests instead of a timer per request (a timer, a promise and a task for every write):
        // a request fails between RequestTimeout and a quarter of it later.
        var sweep = TimeSpan.FromTicks(Math.Clamp(options.RequestTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        _timeoutTimer = time.CreateTimer(_ => FailOverdueRequests(), null, sweep, sweep);
    }

    private readonly record struct Pending(TaskCompletionSource<ClientReply> Reply, long SentAt);

    public long SessionId => Volatile.Read(ref _sessionId);

    public int? ConnectedServerId
    {
        get
        {
            lock (_gate)
            {
                return _current is { Connected: true } attempt ? attempt.ServerId : null;
            }
        }
    }

    public long LastZxidSeen => Volatile.Read(ref _lastZxid);

    /// <summary>Connects (or reconnects) until a member accepts the session or the session timeout passes.</summary>
    internal async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _options.SessionTimeout;
        CoordinationError last = CoordinationError.ConnectionLoss;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_expired)
            {
                throw new CoordinationException(CoordinationError.SessionExpired);
            }

            var servers = _options.ServerIds.Count > 0 ? _options.ServerIds : _ensemble.Members.Select(m => m.ServerId).ToArray();
            var serverId = servers[(int)((uint)Interlocked.Increment(ref _nextServer) % (uint)servers.Count)];
            var peer = _ensemble.RunningPeer(serverId);
            if (peer is not null)
            {
                var attempt = new Attempt(this, serverId, peer);
                TaskCompletionSource<bool> connected;
                lock (_gate)
                {
                    _current = attempt;
                    connected = _connected = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                var session = _sessionId;
                var zxid = _lastZxid;
                peer.Loop.Post(() => peer.ClientConnect(attempt, session, _timeoutMs, zxid));
                try
                {
                    if (await connected.Task.WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false))
                    {
                        var interval = TimeSpan.FromMilliseconds(Math.Max(10, _timeoutMs / 3));
                        _pingTimer.Change(interval, interval);
                        return;
                    }
                }
                catch (TimeoutException)
                {
                    attempt.Abandon();
                }

                last = attempt.Refusal ?? CoordinationError.ConnectionLoss;
                if (last == CoordinationError.SessionExpired)
                {
                    _expired = true;
                    throw new CoordinationException(CoordinationError.SessionExpired);
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new CoordinationException(last, detail: "no member accepted the session");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

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

    private async Task<ClientReply> SendAsync(ClientOp op, string path, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Attempt? attempt;
        lock (_gate)
        {
            attempt = _current is { Connected: true } a ? a : null;
        }

        if (attempt is null)
        {
            if (_expired)
            {
                throw new CoordinationException(CoordinationError.SessionExpired, path);
            }

            await ConnectAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                attempt = _current;
            }
        }

        var reply = new TaskCompletionSource<ClientReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        int cxid;
        lock (_gate)
        {
            cxid = ++_cxid;
            _pending[cxid] = new Pending(reply, _time.GetTimestamp());
        }

        var peer = attempt!.Peer;
        var connection = attempt;
        peer.Loop.Post(() => peer.ClientSubmit(connection, cxid, op));
        ClientReply result;
        if (!cancellationToken.CanBeCanceled)
        {
            result = await reply.Task.ConfigureAwait(false);
        }
        else
        {
            try
            {
                result = await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_gate)
                {
                    _pending.Remove(cxid);
                }

                throw;
            }
        }

        if (result.Error is { } error)
        {
            throw new CoordinationException(error, path, result.Detail);
        }

        return result;
    }

    /// <summary>Answers every request older than <see cref="ClientOptions.RequestTimeout"/> with connection loss (outcome unknown).</summary>
    private void FailOverdueRequests()
    {
        List<(int Cxid, TaskCompletionSource<ClientReply> Reply)>? overdue = null;
        lock (_gate)
        {
            foreach (var (cxid, pending) in _pending)
            {
                if (_time.GetElapsedTime(pending.SentAt) > _options.RequestTimeout)
                {
                    (overdue ??= []).Add((cxid, pending.Reply));
                }
            }

            foreach (var (cxid, _) in overdue ?? [])
            {
                _pending.Remove(cxid);
            }
        }

        foreach (var (cxid, reply) in overdue ?? [])
        {
            reply.TrySetResult(new ClientReply(cxid, 0, CoordinationError.ConnectionLoss, null, $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s"));
        }
    }

    private void Ping()
    {
        Attempt? attempt;
        lock (_gate)
        {
            attempt = _current is { Connected: true } a ? a : null;
        }

        if (attempt is not null)
        {
            var peer = attempt.Peer;
            peer.Loop.Post(() => peer.ClientPing(attempt));
        }
    }

    private void OnConnected(Attempt attempt, long sessionId)
    {
        lock (_gate)
        {
            if (attempt != _current)
            {
                return;
            }

            attempt.Connected = true;
            _sessionId = sessionId;
            _connected?.TrySetResult(true);
        }
    }

    private void OnReply(Attempt attempt, ClientReply reply)
    {
        TaskCompletionSource<ClientReply>? waiter = null;
        lock (_gate)
        {
            if (reply.Zxid > _lastZxid)
            {
                _lastZxid = reply.Zxid;
            }

            if (_pending.Remove(reply.Cxid, out var pending))
            {
                waiter = pending.Reply;
            }
        }

        waiter?.TrySetResult(reply);
    }

    private void OnDisconnected(Attempt attempt, CoordinationError reason)
    {
        List<TaskCompletionSource<ClientReply>> failed;
        lock (_gate)
        {
            attempt.Refusal = reason;
            if (attempt != _current)
            {
                return;
            }

            if (!attempt.Connected)
            {
                _connected?.TrySetResult(false);
                return;
            }

            attempt.Connected = false;
            if (reason == CoordinationError.SessionExpired)
            {
                _expired = true;
            }

            failed = _pending.Values.Select(p => p.Reply).ToList();
            _pending.Clear();
        }

        foreach (var waiter in failed)
        {
            waiter.TrySetResult(new ClientReply(0, 0, reason == CoordinationError.SessionExpired ? reason : CoordinationError.ConnectionLoss, null,
                $"connection to server {attempt.ServerId} lost"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            if (!_expired && ConnectedServerId is not null)
            {
                await SendAsync(new WriteOp(new CloseSessionOp()), "/", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is CoordinationException or TimeoutException or ObjectDisposedException)
        {
            // The session will expire on its own.
        }

        _disposed = true;
        await _pingTimer.DisposeAsync().ConfigureAwait(false);
        await _timeoutTimer.DisposeAsync().ConfigureAwait(false);
        Attempt? attempt;
        lock (_gate)
        {
            attempt = _current;
            _current = null;
        }

        if (attempt is not null)
        {
            var peer = attempt.Peer;
            peer.Loop.Post(() => peer.ClientDisconnect(attempt));
        }
    }

    /// <summary>One connection to one member; events from an abandoned attempt are ignored.</summary>
    private sealed class Attempt(EmbeddedCoordinationClient client, int serverId, QuorumPeer peer) : IClientConnection
    {
        public int ServerId { get; } = serverId;

        public QuorumPeer Peer { get; } = peer;

        public bool Connected { get; set; }

        public CoordinationError? Refusal { get; set; }

        public void Abandon() => Peer.Loop.Post(() => Peer.ClientDisconnect(this));

        public void OnConnected(long sessionId, int negotiatedTimeoutMs, int serverId) => client.OnConnected(this, sessionId);

        public void OnReply(ClientReply reply) => client.OnReply(this, reply);

        public void OnDisconnected(CoordinationError reason) => client.OnDisconnected(this, reason);
    }
}
