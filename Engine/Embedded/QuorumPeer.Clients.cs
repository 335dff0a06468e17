using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded;

// Client sessions on this member: connect and resume, per-session FIFO (a read waits for the
// session's earlier writes), writes ordered by the leader, reads served from the local tree.
internal sealed partial class QuorumPeer
{
    private sealed class ClientSession(IClientConnection connection, long sessionId, DateTimeOffset established)
    {
        public IClientConnection Connection { get; } = connection;

        public long SessionId { get; } = sessionId;

        public bool Connected { get; set; }

        public int TimeoutMs { get; set; }

        public LinkedList<PendingRequest> Queue { get; } = new();

        public ConnectionStats Stats { get; } = new(established);
    }

    private sealed class PendingRequest(int cxid, ClientOp op, TimeSpan started)
    {
        public int Cxid { get; } = cxid;

        public ClientOp Op { get; } = op;

        public TimeSpan Started { get; } = started;

        public ClientReply? Reply { get; set; }
    }

    /// <summary>The cxid of the internal create-session request; clients number theirs from 1.</summary>
    private const int ConnectCxid = 0;

    private readonly Dictionary<IClientConnection, ClientSession> _clients = [];
    private readonly Dictionary<long, ClientSession> _clientsBySession = [];

    private bool Serving => !IsRemoved && (LeaderEstablished || LearnerServing);

    private long OutstandingClientRequests => _clients.Values.Sum(c => (long)c.Queue.Count);

    /// <summary>A client connects with a new session (id 0) or resumes one. Call on the loop.</summary>
    public void ClientConnect(IClientConnection connection, long sessionId, int timeoutMs, long lastZxidSeen)
    {
        if (!Serving)
        {
            connection.OnDisconnected(CoordinationError.ConnectionLoss);
            return;
        }

        if (lastZxidSeen > _tree.LastProcessedZxid)
        {
            // As ZooKeeper: a client must never see the ensemble go back in time.
            connection.OnDisconnected(CoordinationError.ConnectionLoss);
            return;
        }

        DropConnection(connection);
        var timeout = Math.Clamp(timeoutMs, _settings.EffectiveMinSessionTimeout, _settings.EffectiveMaxSessionTimeout);
        if (sessionId == 0)
        {
            sessionId = ((long)_myId << 56) | (_random.NextInt64() & 0x00FF_FFFF_FFFF_FFFFL);
            var session = Register(connection, sessionId);
            session.TimeoutMs = timeout;
            Submit(session, ConnectCxid, new WriteOp(new CreateSessionOp(timeout)));
            return;
        }

        if (!_tree.Sessions.TryGetValue(sessionId, out var existing))
        {
            connection.OnDisconnected(CoordinationError.SessionExpired);
            return;
        }

        if (_clientsBySession.TryGetValue(sessionId, out var previous))
        {
            // The session moved to a new connection here; the old one is gone.
            DropConnection(previous.Connection);
            previous.Connection.OnDisconnected(CoordinationError.SessionMoved);
        }

        var resumed = Register(connection, sessionId);
        resumed.TimeoutMs = existing;
        resumed.Connected = true;
        Touch(sessionId);
        connection.OnConnected(sessionId, existing, _myId, 0);
    }

    /// <summary>A request from a connected client. Call on the loop.</summary>
    public void ClientSubmit(IClientConnection connection, int cxid, ClientOp op)
    {
        if (!_clients.TryGetValue(connection, out var session) || !session.Connected)
        {
            connection.OnReply(new ClientReply(cxid, 0, CoordinationError.ConnectionLoss, null, "not connected to this member"));
            return;
        }

        Touch(session.SessionId);
        Submit(session, cxid, op);
    }

    /// <summary>A client's heartbeat. Call on the loop.</summary>
    public void ClientPing(IClientConnection connection)
    {
        if (_clients.TryGetValue(connection, out var session))
        {
            session.Stats.Pinged();
            Touch(session.SessionId);
        }
    }

    /// <summary>The client went away without closing its session (it may resume elsewhere). Call on the loop.</summary>
    public void ClientDisconnect(IClientConnection connection) => DropConnection(connection);

    private ClientSession Register(IClientConnection connection, long sessionId)
    {
        var session = new ClientSession(connection, sessionId, Loop.Time.GetUtcNow());
        _clients[connection] = session;
        _clientsBySession[sessionId] = session;
        _liveConnections[connection] = 0;
        return session;
    }

    private void DropConnection(IClientConnection connection)
    {
        if (_clients.Remove(connection, out var session))
        {
            if (_clientsBySession.TryGetValue(session.SessionId, out var current) && current == session)
            {
                _clientsBySession.Remove(session.SessionId);
            }
        }

        _liveConnections.TryRemove(connection, out _);
    }

    private void DisconnectClients(CoordinationError reason)
    {
        if (_clients.Count == 0)
        {
            return;
        }

        var sessions = _clients.Values.ToList();
        _clients.Clear();
        _clientsBySession.Clear();
        foreach (var session in sessions)
        {
            _liveConnections.TryRemove(session.Connection, out _);
            session.Connection.OnDisconnected(reason);
        }
    }

    private void Touch(long sessionId)
    {
        if (State == PeerState.Leading)
        {
            TouchSession(sessionId);
        }
        else
        {
            _touchedSessions.Add(sessionId);
        }
    }

    private void Submit(ClientSession session, int cxid, ClientOp op)
    {
        var request = new PendingRequest(cxid, op, Now);
        session.Stats.Requested();
        session.Queue.AddLast(request);
        switch (op)
        {
            case WriteOp write when State == PeerState.Leading:
                LeaderSubmit(null, session.SessionId, cxid, write.Op);
                break;
            case WriteOp write:
                Send(_learnerConnection, new ForwardedRequest(session.SessionId, cxid, write.Op));
                break;
            case SyncOp when State == PeerState.Leading:
                LeaderSync(null, session.SessionId, cxid);
                break;
            case SyncOp:
                Send(_learnerConnection, new SyncRequest(session.SessionId, cxid));
                break;
        }

        Release(session);
    }

    /// <summary>A write this member applied: answer the client that sent it, if it is connected here.</summary>
    private void CompleteClientWrite(Txn txn, TxnResult result)
    {
        if (!_clientsBySession.TryGetValue(txn.SessionId, out var session))
        {
            return;
        }

        if (txn.Op is CloseSessionOp && !HasPending(session, txn.Cxid))
        {
            // Expired by the leader while connected here.
            DropConnection(session.Connection);
            session.Connection.OnDisconnected(CoordinationError.SessionExpired);
            return;
        }

        var value = txn.Op switch
        {
            CreateOp => (object?)result.Path,
            SetDataOp => result.Stat,
            ReconfigOp => _tree.ConfigVersion,
            _ => null,
        };
        CompleteClientRequest(txn.SessionId, txn.Cxid, new ClientReply(txn.Cxid, txn.Zxid, result.Error, value));
    }

    private static bool HasPending(ClientSession session, int cxid)
    {
        foreach (var request in session.Queue)
        {
            if (request.Cxid == cxid && request.Reply is null)
            {
                return true;
            }
        }

        return false;
    }

    private void CompleteClientRequest(long sessionId, int cxid, ClientReply reply)
    {
        if (!_clientsBySession.TryGetValue(sessionId, out var session))
        {
            return;
        }

        foreach (var request in session.Queue)
        {
            if (request.Cxid == cxid && request.Reply is null && request.Op is not ReadOp)
            {
                request.Reply = reply;
                break;
            }
        }

        Release(session);
    }

    /// <summary>Answers requests from the head of the session's queue, in the order they were sent.</summary>
    private void Release(ClientSession session)
    {
        while (session.Queue.First is { } node)
        {
            var request = node.Value;
            if (request.Op is ReadOp read)
            {
                request.Reply = ExecuteRead(request.Cxid, read);
                _readsServed++;
            }
            else if (request.Reply is null)
            {
                return;
            }
            else
            {
                _writesServed++;
            }

            session.Queue.RemoveFirst();
            RecordLatency(request.Started);
            session.Stats.Replied(request.Cxid, request.Op, request.Reply.Zxid, request.Started, Now);
            if (request.Cxid == ConnectCxid && request.Op is WriteOp { Op: CreateSessionOp })
            {
                if (request.Reply.Error is null)
                {
                    session.Connected = true;
                    session.Connection.OnConnected(session.SessionId, session.TimeoutMs, _myId, request.Reply.Zxid);
                }
                else
                {
                    DropConnection(session.Connection);
                    session.Connection.OnDisconnected(request.Reply.Error.Value);
                    return;
                }
            }
            else
            {
                session.Connection.OnReply(request.Reply);
            }

            if (request.Op is WriteOp { Op: CloseSessionOp } && request.Reply.Error is null)
            {
                DropConnection(session.Connection);
                return;
            }
        }
    }

    private ClientReply ExecuteRead(int cxid, ReadOp read)
    {
        var zxid = _tree.LastProcessedZxid;
        try
        {
            return read.Kind switch
            {
                ReadKind.GetData => _tree.GetData(read.Path) is { } data
                    ? new ClientReply(cxid, zxid, null, data)
                    : new ClientReply(cxid, zxid, CoordinationError.NoNode, null),
                ReadKind.Exists => new ClientReply(cxid, zxid, null, _tree.Exists(read.Path)),
                _ => _tree.GetChildren(read.Path) is { } children
                    ? new ClientReply(cxid, zxid, null, children)
                    : new ClientReply(cxid, zxid, CoordinationError.NoNode, null),
            };
        }
        catch (CoordinationException e)
        {
            return new ClientReply(cxid, zxid, e.Error, null, e.Message);
        }
    }
}
