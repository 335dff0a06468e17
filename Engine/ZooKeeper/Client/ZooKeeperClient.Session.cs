using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.ZooKeeper.Jute;

namespace QuorumPortal.Engine.ZooKeeper.Client;

// Session state: connect, reconnect with the same session, expiry, close.
public sealed partial class ZooKeeperClient
{
    private readonly ZooKeeperClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<(string Host, int Port)> _servers;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Channel<WatchEvent> _events = Channel.CreateUnbounded<WatchEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<AuthPacket> _auth = [];
    private readonly HashSet<string> _dataWatches = [];
    private readonly HashSet<string> _existWatches = [];
    private readonly HashSet<string> _childWatches = [];
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Connection? _current;
    private Task _reconnect = Task.CompletedTask;
    private int _nextServer;
    private int _xid;
    private long _sessionId;
    private byte[] _password;
    private int _negotiatedTimeoutMs;
    private long _lastZxid;
    private bool _closing;
    private bool _expired;
    private bool _authFailed;

    private ZooKeeperClient(ZooKeeperClientOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        _logger = options.Logger ?? NullLogger.Instance;
        var servers = options.ParseServers().ToArray();
        (options.Seed is { } seed ? new Random(seed) : Random.Shared).Shuffle(servers);
        _servers = servers;
        _sessionId = options.SessionId;
        _password = options.SessionPassword ?? new byte[16];
        _negotiatedTimeoutMs = (int)options.SessionTimeout.TotalMilliseconds;
    }

    public long SessionId => Volatile.Read(ref _sessionId);

    /// <summary>The 16-byte session password (with <see cref="SessionId"/>, enough to resume the session elsewhere).</summary>
    public ReadOnlyMemory<byte> SessionPassword
    {
        get
        {
            lock (_gate)
            {
                return _password.ToArray();
            }
        }
    }

    public long LastZxidSeen => Volatile.Read(ref _lastZxid);

    /// <summary>The session timeout the server granted.</summary>
    public TimeSpan NegotiatedSessionTimeout => TimeSpan.FromMilliseconds(Volatile.Read(ref _negotiatedTimeoutMs));

    /// <summary>"host:port" of the server the session is connected to now, or null while disconnected.</summary>
    public string? ConnectedServer
    {
        get
        {
            lock (_gate)
            {
                return _current is { Dead: false } c ? c.Endpoint : null;
            }
        }
    }

    /// <summary>The connected server's id, when <see cref="ZooKeeperClientOptions.ServerIdLookup"/> knows it.</summary>
    public int? ConnectedServerId => ConnectedServer is { } endpoint ? _options.ServerIdLookup?.Invoke(endpoint) : null;

    public KeeperState State
    {
        get
        {
            lock (_gate)
            {
                return _expired ? KeeperState.Expired
                    : _authFailed ? KeeperState.AuthFailed
                    : _closing ? KeeperState.Closed
                    : _current is { Dead: false } ? KeeperState.SyncConnected
                    : KeeperState.Disconnected;
            }
        }
    }

    /// <summary>
    /// Fired watches and session state changes, in the order they arrived. One reader; unbounded, so read
    /// it if you set watches. Ends when the client is disposed.
    /// </summary>
    public IAsyncEnumerable<WatchEvent> Watches => _events.Reader.ReadAllAsync();

    public async ValueTask DisposeAsync()
    {
        Connection? current;
        lock (_gate)
        {
            if (_closing)
            {
                return;
            }

            // Set before the close request: the server hangs up after replying, and that must not trigger a reconnect.
            _closing = true;
            current = _expired ? null : _current;
        }

        if (current is { Dead: false })
        {
            try
            {
                // Closing the session deletes its ephemerals now rather than after the timeout.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
                await SendAsync<object?>(OpCode.CloseSession, null, null, null, timeout.Token, closing: true).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CoordinationException or OperationCanceledException)
            {
                // The session will time out on the server instead.
            }
        }

        lock (_gate)
        {
            current = _current;
            _connected.TrySetResult();
        }

        _lifetime.Cancel();
        if (current is not null)
        {
            Fail(current, new IOException("client closed"));
        }

        try
        {
            await _reconnect.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _events.Writer.TryWrite(new WatchEvent(WatchEventType.None, KeeperState.Closed, null));
        _events.Writer.TryComplete();
        _lifetime.Dispose();
    }

    /// <summary>Test hook: drops the TCP connection without closing the session, as a network fault would.</summary>
    internal void DropConnection()
    {
        Connection? current;
        lock (_gate)
        {
            current = _current;
        }

        if (current is not null)
        {
            Fail(current, new IOException("connection dropped on purpose"));
        }
    }

    private async Task ConnectFirstAsync(CancellationToken cancellationToken)
    {
        var budget = _options.ConnectTimeout ?? _options.SessionTimeout;
        var start = _time.GetTimestamp();
        Exception? last = null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        while (_time.GetElapsedTime(start) < budget || last is null)
        {
            var perServer = TimeSpan.FromTicks(Math.Max(budget.Ticks / _servers.Count, TimeSpan.FromMilliseconds(500).Ticks));
            try
            {
                await ConnectOnceAsync(perServer, linked.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is IOException or SocketException or InvalidDataException or TimeoutException)
            {
                last = e;
                if (_nextServer % _servers.Count == 0)
                {
                    // A full round failed; don't spin.
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _time, linked.Token).ConfigureAwait(false);
                }
            }
        }

        throw new CoordinationException(CoordinationError.ConnectionLoss, null, $"no server of {_options.ConnectionString} accepted a session within {budget}: {last?.Message}", last);
    }

    /// <summary>One handshake with the next server in the rotation; installs the connection on success.</summary>
    private async Task ConnectOnceAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (host, port) = _servers[_nextServer++ % _servers.Count];
        var endpoint = $"{host}:{port}";
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        NetworkStream? stream = null;
        var decoder = new FrameDecoder(_options.MaxFrameLength);
        ConnectResponse response;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
                stream = new NetworkStream(socket, ownsSocket: true);
                var request = new ConnectRequest(0, LastZxidSeen, (int)_options.SessionTimeout.TotalMilliseconds, SessionId, _password, ReadOnly: false);
                await stream.WriteAsync(FrameBuffer.Build(request), deadline.Token).ConfigureAwait(false);
                response = await ReadConnectResponseAsync(stream, decoder, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{endpoint}: no handshake within {timeout.TotalMilliseconds:F0} ms");
            }
        }
        catch (Exception e)
        {
            socket.Dispose();
            if (e is IOException or SocketException or InvalidDataException or TimeoutException)
            {
                LogConnectFailed(_logger, endpoint, e.Message);
            }

            throw;
        }

        if (response.IsExpired)
        {
            await stream!.DisposeAsync().ConfigureAwait(false);
            throw new CoordinationException(CoordinationError.SessionExpired, null, $"{endpoint} says session 0x{SessionId:x} is expired");
        }

        var connection = new Connection(this, socket, stream!, decoder, endpoint, response.TimeOut);
        bool first;
        lock (_gate)
        {
            if (_closing)
            {
                connection.Dead = true;
            }
            else
            {
                first = _sessionId == 0;
                _sessionId = response.SessionId;
                _password = response.Passwd;
                _negotiatedTimeoutMs = response.TimeOut;

                // Credentials and watches go first, before any request that waited for this connection.
                foreach (var auth in _auth)
                {
                    connection.AuthPending.Enqueue(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                    connection.Outgoing.Writer.TryWrite(FrameBuffer.Build(new RequestHeader(Xids.Auth, OpCode.Auth), auth));
                }

                if (_dataWatches.Count + _existWatches.Count + _childWatches.Count > 0)
                {
                    var setWatches = new SetWatches(LastZxidSeen, [.. _dataWatches], [.. _existWatches], [.. _childWatches]);
                    var frame = FrameBuffer.Build(new RequestHeader(NextXid(), OpCode.SetWatches), setWatches);
                    connection.Pending.Enqueue(new Pending<object?>(ReadXid(frame), OpCode.SetWatches, null, null, WatchKind.None, false));
                    connection.Outgoing.Writer.TryWrite(frame);
                }

                _current = connection;
                _connected.TrySetResult();
            }
        }

        if (connection.Dead)
        {
            await stream!.DisposeAsync().ConfigureAwait(false);
            return;
        }

        connection.Start();
        LogConnected(_logger, endpoint, response.SessionId, response.TimeOut);
        _events.Writer.TryWrite(new WatchEvent(WatchEventType.None, KeeperState.SyncConnected, null));
    }

    private static async Task<ConnectResponse> ReadConnectResponseAsync(NetworkStream stream, FrameDecoder decoder, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (decoder.TryReadFrame(out var payload))
            {
                var reader = new JuteReader(payload.Span);
                return ConnectResponse.Read(ref reader);
            }

            var n = await stream.ReadAsync(decoder.GetReadBuffer(), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                decoder.Complete();
                // ZooKeeper closes without a word when it is not serving or when this client has seen a newer zxid.
                throw new IOException("server closed the connection during the handshake (not serving, or behind this client)");
            }

            decoder.Advance(n);
        }
    }

    /// <summary>Called once per broken connection: fails what was in flight and starts reconnecting.</summary>
    private void Fail(Connection connection, Exception reason)
    {
        List<PendingRequest> inFlight;
        List<TaskCompletionSource> auths;
        bool reconnect;
        lock (_gate)
        {
            if (connection.Dead && connection.Pending.Count == 0 && connection.AuthPending.Count == 0 && _current != connection)
            {
                return;
            }

            var wasCurrent = _current == connection;
            connection.Dead = true;
            inFlight = [.. connection.Pending];
            connection.Pending.Clear();
            auths = [.. connection.AuthPending];
            connection.AuthPending.Clear();
            if (wasCurrent)
            {
                _current = null;
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            reconnect = wasCurrent && !_closing && !_expired && !_authFailed;
            if (reconnect)
            {
                _reconnect = Task.Run(ReconnectAsync);
            }
        }

        connection.Shutdown();
        foreach (var pending in inFlight)
        {
            pending.Fail(new CoordinationException(CoordinationError.ConnectionLoss, pending.Path, reason.Message, reason));
        }

        foreach (var auth in auths)
        {
            auth.TrySetException(new CoordinationException(CoordinationError.ConnectionLoss, null, reason.Message, reason));
        }

        if (reconnect)
        {
            LogConnectionLost(_logger, connection.Endpoint, reason.Message);
            _events.Writer.TryWrite(new WatchEvent(WatchEventType.None, KeeperState.Disconnected, null));
        }
    }

    private async Task ReconnectAsync()
    {
        var token = _lifetime.Token;
        var delay = TimeSpan.FromMilliseconds(20);
        while (!token.IsCancellationRequested)
        {
            var perServer = TimeSpan.FromTicks(Math.Max(NegotiatedSessionTimeout.Ticks / _servers.Count, TimeSpan.FromMilliseconds(500).Ticks));
            try
            {
                await ConnectOnceAsync(perServer, token).ConfigureAwait(false);
                return;
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.SessionExpired)
            {
                LogSessionExpired(_logger, SessionId);
                lock (_gate)
                {
                    _expired = true;
                    _connected.TrySetResult();
                }

                _events.Writer.TryWrite(new WatchEvent(WatchEventType.None, KeeperState.Expired, null));
                return;
            }
            catch (Exception e) when (e is IOException or SocketException or InvalidDataException or TimeoutException)
            {
                if (_nextServer % _servers.Count == 0)
                {
                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The live connection, waiting (up to the session timeout) while a reconnect is under way.</summary>
    private async Task<Connection> GetConnectionAsync(bool closing, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_closing && !closing)
                {
                    throw new ObjectDisposedException(nameof(ZooKeeperClient));
                }

                if (_expired)
                {
                    throw new CoordinationException(CoordinationError.SessionExpired, null, $"session 0x{_sessionId:x}");
                }

                if (_authFailed)
                {
                    throw new CoordinationException(CoordinationError.AuthFailed);
                }

                if (_current is { Dead: false } current)
                {
                    return current;
                }

                if (closing)
                {
                    throw new CoordinationException(CoordinationError.ConnectionLoss, null, "not connected");
                }

                wait = _connected.Task;
            }

            try
            {
                await wait.WaitAsync(NegotiatedSessionTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new CoordinationException(CoordinationError.ConnectionLoss, null, $"no server reachable within the session timeout ({NegotiatedSessionTimeout})");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ZooKeeper session 0x{SessionId:x} connected to {Endpoint}, timeout {TimeoutMs} ms")]
    private static partial void LogConnected(ILogger logger, string endpoint, long sessionId, int timeoutMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ZooKeeper connect to {Endpoint} failed: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ZooKeeper connection to {Endpoint} lost: {Reason}; reconnecting")]
    private static partial void LogConnectionLost(ILogger logger, string endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ZooKeeper session 0x{SessionId:x} expired")]
    private static partial void LogSessionExpired(ILogger logger, long sessionId);
}
