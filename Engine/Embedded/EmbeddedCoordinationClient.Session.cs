using QuorumPortal.Engine.Backends;

namespace QuorumPortal.Engine.Embedded;

// The session: one reconnect at a time, connection resets, liveness by ping.
public sealed partial class EmbeddedCoordinationClient
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(50);

    private readonly CancellationTokenSource _lifetime = new();
    private readonly ITimer _pingTimer;

    // Completed when a connection is installed, the session expires or the client closes; replaced on each reset.
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Connection? _current;
    private Task _reconnect = Task.CompletedTask;
    private bool _reconnecting;
    private (CoordinationError Error, string Detail)? _lastRefusal;
    private int _cxid;
    private long _sessionId;
    private long _lastZxid;
    private int _timeoutMs;
    private bool _expired;
    private bool _closing;
    private int _nextServer;
    private long _connectAttempts;
    private int _connectsInFlight;
    private int _mostConnectsInFlight;

    /// <summary>Connects handed to a member so far (a member that is not running is skipped, not counted).</summary>
    internal long ConnectAttempts => Interlocked.Read(ref _connectAttempts);

    /// <summary>The most connects ever awaiting a member's answer at once: 1 while the one-reconnect rule holds.</summary>
    internal int MostConnectsInFlight
    {
        get
        {
            lock (_gate)
            {
                return _mostConnectsInFlight;
            }
        }
    }

    private TimeSpan SessionTimeout => TimeSpan.FromMilliseconds(Volatile.Read(ref _timeoutMs));

    private TimeSpan PingInterval => TimeSpan.FromMilliseconds(Math.Max(10, Volatile.Read(ref _timeoutMs) / 3));

    /// <summary>Connects until a member accepts the session or the session timeout passes.</summary>
    internal async Task ConnectAsync(CancellationToken cancellationToken) => await ConnectionAsync(null, closing: false, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The session's connection; while there is none, starts the reconnect (if it is not running) and waits for it, up
    /// to the session timeout. <paramref name="closing"/> never waits: the close-session request goes now or not at all.
    /// </summary>
    private async ValueTask<Connection> ConnectionAsync(string? path, bool closing, CancellationToken cancellationToken)
    {
        long? since = null;
        while (true)
        {
            Task reconnected;
            lock (_gate)
            {
                ThrowIfUnusable(path, closing);
                if (_current is { } connection)
                {
                    return connection;
                }

                if (closing)
                {
                    throw new CoordinationException(CoordinationError.ConnectionLoss, path, "not connected");
                }

                StartReconnect();
                reconnected = _connected.Task;
            }

            since ??= _time.GetTimestamp();
            await WaitForReconnectAsync(reconnected, since.Value, path, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the reconnect under way; past the session timeout since <paramref name="since"/>, fails with the last refusal.</summary>
    private async Task WaitForReconnectAsync(Task reconnected, long since, string? path, CancellationToken cancellationToken)
    {
        var remaining = SessionTimeout - _time.GetElapsedTime(since);
        try
        {
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException();
            }

            await reconnected.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            (CoordinationError Error, string Detail)? refusal;
            bool everConnected;
            lock (_gate)
            {
                refusal = _lastRefusal;
                everConnected = _sessionId != 0;
            }

            // A request that never got a connection is reported as connection loss, as ZooKeeper does; a session that
            // could not even be created says why (no quorum, for example).
            var error = everConnected || path is not null ? CoordinationError.ConnectionLoss : refusal?.Error ?? CoordinationError.ConnectionLoss;
            throw new CoordinationException(error, path,
                $"no member accepted session 0x{SessionId:x} within {SessionTimeout.TotalSeconds:0.#} s" + (refusal is { } r ? $"; last: {r.Error}, {r.Detail}" : string.Empty));
        }
    }

    /// <summary>Starts the one reconnect, unless it is running already or the session is over. Call under the lock.</summary>
    private void StartReconnect()
    {
        if (_reconnecting || _closing || _expired)
        {
            return;
        }

        _reconnecting = true;
        _reconnect = Task.Run(ReconnectAsync);
    }

    /// <summary>Tries the members in turn, pausing after each full round, until one takes the session or it is over.</summary>
    private async Task ReconnectAsync()
    {
        var token = _lifetime.Token;
        var pause = FirstPause;
        var tried = 0;
        try
        {
            while (true)
            {
                var servers = _options.ServerIds.Count > 0 ? _options.ServerIds : _ensemble.Members.Select(m => m.ServerId).ToArray();
                var serverId = servers[(int)((uint)_nextServer++ % (uint)servers.Count)];
                if (await TryConnectAsync(serverId, servers.Count, token).ConfigureAwait(false))
                {
                    return;
                }

                if (++tried % servers.Count == 0)
                {
                    await Task.Delay(pause, _time, token).ConfigureAwait(false);
                    pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
                }
            }
        }
        catch (Exception e)
        {
            // Closed, or a fault of ours: either way this reconnect is over, and the next request starts another.
            lock (_gate)
            {
                _reconnecting = false;
                if (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    _lastRefusal = (CoordinationError.SystemError, $"{e.GetType().Name}: {e.Message}");
                }
            }
        }
    }

    /// <summary>
    /// One connect to <paramref name="serverId"/>. True when the reconnect is over (connected, expired or closing);
    /// whoever ends it clears <see cref="_reconnecting"/> under the lock, in the same step as the outcome.
    /// </summary>
    private async Task<bool> TryConnectAsync(int serverId, int servers, CancellationToken token)
    {
        var peer = _ensemble.RunningPeer(serverId);
        if (peer is null)
        {
            Refused(CoordinationError.ConnectionLoss, $"server {serverId} is not running");
            return false;
        }

        long sessionId;
        long lastZxid;
        lock (_gate)
        {
            if (_closing)
            {
                _reconnecting = false;
                return true;
            }

            (sessionId, lastZxid) = (_sessionId, _lastZxid);
            _mostConnectsInFlight = Math.Max(_mostConnectsInFlight, ++_connectsInFlight);
        }

        var connection = new Connection(this, serverId, peer);
        Interlocked.Increment(ref _connectAttempts);

        // As ZooKeeper's connect timeout: the session timeout shared among the members to try.
        var attemptTimeout = TimeSpan.FromTicks(Math.Max(SessionTimeout.Ticks / servers, TimeSpan.FromMilliseconds(100).Ticks));
        CoordinationError? refusal;
        try
        {
            connection.Open(sessionId, (int)_options.SessionTimeout.TotalMilliseconds, lastZxid);
            refusal = await connection.Handshake.Task.WaitAsync(attemptTimeout, _time, token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var silence = $"server {serverId} did not answer the connect within {attemptTimeout.TotalMilliseconds:0} ms";
            Reset(connection, CoordinationError.ConnectionLoss, silence);
            Refused(CoordinationError.ConnectionLoss, silence);
            return false;
        }
        catch (OperationCanceledException)
        {
            Reset(connection, CoordinationError.ConnectionLoss, "the client was closed");
            throw;
        }
        finally
        {
            lock (_gate)
            {
                _connectsInFlight--;
            }
        }

        if (refusal is null)
        {
            lock (_gate)
            {
                if (!_closing && !connection.IsDead)
                {
                    Install(connection);
                    return true;
                }
            }

            refusal = _closing ? CoordinationError.ConnectionLoss : connection.DisconnectReason ?? CoordinationError.ConnectionLoss;
        }

        Reset(connection, refusal.Value, $"server {serverId} refused the connect: {refusal}");
        if (refusal == CoordinationError.SessionExpired && sessionId != 0)
        {
            lock (_gate)
            {
                _expired = true;
                _reconnecting = false;
                _connected.TrySetResult();
            }

            return true;
        }

        Refused(refusal.Value, $"server {serverId} refused the connect");
        lock (_gate)
        {
            if (_closing)
            {
                _reconnecting = false;
                return true;
            }
        }

        return false;
    }

    /// <summary>Makes <paramref name="connection"/> the session's connection and wakes the requests waiting for it. Call under the lock.</summary>
    private void Install(Connection connection)
    {
        _current = connection;
        _reconnecting = false;
        _lastRefusal = null;
        Volatile.Write(ref _sessionId, connection.SessionId);
        Volatile.Write(ref _timeoutMs, connection.TimeoutMs);
        if (connection.SessionZxid > _lastZxid)
        {
            // A new session's creation: a member that has not applied it must not take the session.
            Volatile.Write(ref _lastZxid, connection.SessionZxid);
        }

        connection.Heard(_time.GetTimestamp());
        _connected.TrySetResult();

        // ZooKeeper's client pings at a third of the session timeout and gives up after two thirds of silence.
        var interval = PingInterval;
        _pingTimer.Change(interval, interval);
    }

    private void Refused(CoordinationError error, string detail)
    {
        lock (_gate)
        {
            _lastRefusal = (error, detail);
        }
    }

    /// <summary>
    /// The connection is gone (the member said so, its loop stopped, or this client gave up on it): nothing more is sent
    /// on it, every request in flight on it fails with connection loss, and if it was the session's connection, the
    /// reconnect starts. Safe from any thread, and more than once.
    /// </summary>
    private void Reset(Connection connection, CoordinationError reason, string detail)
    {
        List<Pending> inFlight;
        lock (_gate)
        {
            if (!connection.Kill(reason, out inFlight))
            {
                return;
            }

            if (_current == connection)
            {
                _current = null;
                _pingTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (reason == CoordinationError.SessionExpired)
                {
                    _expired = true;
                    _connected.TrySetResult();
                }
                else
                {
                    StartReconnect();
                }
            }
        }

        connection.Close();

        // Even when the session expired: a write in flight may have been applied before it did.
        var why = $"connection to server {connection.ServerId} lost: {detail}";
        foreach (var pending in inFlight)
        {
            pending.Fail(new CoordinationException(CoordinationError.ConnectionLoss, pending.Path, why));
        }
    }

    private void OnConnected(Connection connection) => connection.Handshake.TrySetResult(null);

    private void OnDisconnected(Connection connection, CoordinationError reason) =>
        Reset(connection, reason, reason == CoordinationError.SessionExpired ? "session expired" : $"server {connection.ServerId} closed it ({reason})");

    private void OnReply(Connection connection, ClientReply reply)
    {
        Pending? pending;
        bool inOrder;
        lock (_gate)
        {
            if (connection.IsDead)
            {
                return;
            }

            connection.Heard(_time.GetTimestamp());
            inOrder = connection.TakeReply(reply.Cxid, out pending);
            if (inOrder && reply.Zxid > _lastZxid)
            {
                Volatile.Write(ref _lastZxid, reply.Zxid);
            }
        }

        if (!inOrder)
        {
            Reset(connection, CoordinationError.ConnectionLoss, $"reply {reply.Cxid} out of order");
        }
        else if (reply.Error == CoordinationError.ConnectionLoss)
        {
            // The member no longer knows this connection: it is gone, and so is everything sent on it.
            pending?.Complete(reply);
            Reset(connection, CoordinationError.ConnectionLoss, reply.Detail ?? "the member dropped the connection");
        }
        else
        {
            pending?.Complete(reply);
        }
    }

    private void OnPingTimer()
    {
        Connection? connection;
        lock (_gate)
        {
            connection = _current;
        }

        if (connection is null)
        {
            return;
        }

        var timeout = SessionTimeout;
        var (readTimeout, pingAge) = (timeout * 2 / 3, timeout / 3);
        var now = _time.GetTimestamp();
        if (connection.IsSilent(now, _time, readTimeout, pingAge))
        {
            Reset(connection, CoordinationError.ConnectionLoss, $"server {connection.ServerId} answered nothing for {readTimeout.TotalMilliseconds:0} ms");
            return;
        }

        connection.Ping(now);

        // Ticks a third apart could notice a silent member only at the full session timeout, when the session may be
        // gone; looking again the moment it turns silent leaves the last third to resume it elsewhere, as ZooKeeper does.
        var interval = PingInterval;
        var check = connection.UntilSilent(now, _time, readTimeout, pingAge);
        if (check < interval)
        {
            lock (_gate)
            {
                if (_current == connection)
                {
                    _pingTimer.Change(TimeSpan.FromTicks(Math.Max(check.Ticks, TimeSpan.TicksPerMillisecond)), interval);
                }
            }
        }
    }
}
