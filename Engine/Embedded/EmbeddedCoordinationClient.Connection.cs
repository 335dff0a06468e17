using QuorumPortal.Engine.Backends;

namespace QuorumPortal.Engine.Embedded;

// One connection to one member, and the requests in flight on it.
public sealed partial class EmbeddedCoordinationClient
{
    private readonly ITimer _timeoutTimer;

    /// <summary>Fails every request on the connection unanswered for <see cref="ClientOptions.RequestTimeout"/> with connection loss (outcome unknown).</summary>
    private void FailOverdueRequests()
    {
        List<Pending>? overdue = null;
        lock (_gate)
        {
            _current?.TakeOverdue(_time, _options.RequestTimeout, ref overdue);
        }

        var why = $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s";
        foreach (var pending in overdue ?? [])
        {
            // It stays in the connection's queue: its reply, if it ever comes, is matched and dropped.
            pending.Fail(new CoordinationException(CoordinationError.ConnectionLoss, pending.Path, why));
        }
    }

    /// <summary>A request sent and not yet answered; it is its own completion (one object per request).</summary>
    private sealed class Pending(int cxid, string path, long sentAt) : TaskCompletionSource<ClientReply>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public int Cxid { get; } = cxid;

        public string Path { get; } = path;

        /// <summary>When it was sent (<see cref="TimeProvider.GetTimestamp"/>).</summary>
        public long SentAt { get; } = sentAt;

        public void Complete(ClientReply reply) => TrySetResult(reply);

        public void Fail(CoordinationException error) => TrySetException(error);

        /// <summary>The caller gave up (timeout or cancellation); the reply, if it comes, is dropped.</summary>
        public void Abandon() => TrySetCanceled();
    }

    /// <summary>
    /// What a TCP connection is to ZooKeeper's client. Once dead it stays dead: what was posted to the member and not yet
    /// run there is discarded (the member's loop checks <see cref="IsDead"/> first, as a reset socket drops unread data),
    /// so a request never reaches the member after the client has failed it and moved on.
    /// </summary>
    private sealed class Connection(EmbeddedCoordinationClient client, int serverId, QuorumPeer peer) : IClientConnection
    {
        private readonly Queue<Pending> _pending = new(); // guarded by the client's lock, in cxid order
        private CancellationTokenRegistration _stopWatch;
        private volatile bool _dead;
        private long _lastHeard;
        private long _pingSent;

        public int ServerId { get; } = serverId;

        public bool IsDead => _dead;

        /// <summary>Completes with null when the member accepts the session, or with why it refused.</summary>
        public TaskCompletionSource<CoordinationError?> Handshake { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CoordinationError? DisconnectReason { get; private set; }

        public long SessionId { get; private set; }

        public int TimeoutMs { get; private set; }

        public long SessionZxid { get; private set; }

        /// <summary>Asks the member for the session; a member whose loop stops counts as a reset connection.</summary>
        public void Open(long sessionId, int timeoutMs, long lastZxidSeen)
        {
            // A stopped loop drops everything posted to it, so a crash between our post and its run is seen here.
            _stopWatch = peer.Loop.Stopped.Register(static state =>
            {
                var self = (Connection)state!;
                self.OnDisconnected(CoordinationError.ConnectionLoss);
            }, this);
            peer.Loop.Post(() =>
            {
                if (!_dead)
                {
                    peer.ClientConnect(this, sessionId, timeoutMs, lastZxidSeen);
                }
            });
        }

        /// <summary>Sends a request. Call under the client's lock, in cxid order.</summary>
        public void Submit(Pending pending, ClientOp op)
        {
            _pending.Enqueue(pending);
            var cxid = pending.Cxid;
            peer.Loop.Post(() =>
            {
                if (!_dead)
                {
                    peer.ClientSubmit(this, cxid, op);
                }
            });
        }

        /// <summary>Matches a reply to the oldest request in flight; false when it is not that one. Call under the client's lock.</summary>
        public bool TakeReply(int cxid, out Pending? pending)
        {
            pending = null;
            if (!_pending.TryDequeue(out var head))
            {
                return false;
            }

            if (head.Cxid != cxid)
            {
                // Replies come back in the order sent; anything else means the connection cannot be trusted.
                head.Fail(new CoordinationException(CoordinationError.ConnectionLoss, head.Path, $"reply {cxid} arrived before {head.Cxid}"));
                return false;
            }

            pending = head;
            return true;
        }

        /// <summary>Adds the unanswered requests sent longer than <paramref name="timeout"/> ago. Call under the client's lock.</summary>
        public void TakeOverdue(TimeProvider time, TimeSpan timeout, ref List<Pending>? overdue)
        {
            var now = time.GetTimestamp();
            foreach (var pending in _pending)
            {
                if (time.GetElapsedTime(pending.SentAt, now) < timeout)
                {
                    return; // sent in order: the rest are younger
                }

                if (!pending.Task.IsCompleted)
                {
                    (overdue ??= []).Add(pending);
                }
            }
        }

        /// <summary>Marks the connection dead; false if it already was. Call under the client's lock.</summary>
        public bool Kill(CoordinationError reason, out List<Pending> inFlight)
        {
            if (_dead)
            {
                inFlight = [];
                return false;
            }

            _dead = true;
            DisconnectReason = reason;
            inFlight = [.. _pending];
            _pending.Clear();
            Handshake.TrySetResult(reason);
            return true;
        }

        /// <summary>After <see cref="Kill"/>: tells the member to forget the connection. Outside the client's lock.</summary>
        public void Close()
        {
            _stopWatch.Dispose();
            peer.Loop.Post(() => peer.ClientDisconnect(this));
        }

        public void Heard(long now) => Volatile.Write(ref _lastHeard, now);

        /// <summary>Pings the member; the member's loop running the ping is the answer.</summary>
        public void Ping(long now)
        {
            if (Interlocked.CompareExchange(ref _pingSent, now, 0) != 0)
            {
                return; // one ping outstanding is enough
            }

            peer.Loop.Post(() =>
            {
                if (!_dead)
                {
                    peer.ClientPing(this);
                    Heard(client._time.GetTimestamp());
                    Volatile.Write(ref _pingSent, 0);
                }
            });
        }

        /// <summary>
        /// Whether the member has answered nothing for <paramref name="readTimeout"/> while a ping has been outstanding
        /// for at least <paramref name="pingAge"/> (a late timer on this side must not count against the member).
        /// </summary>
        public bool IsSilent(long now, TimeProvider time, TimeSpan readTimeout, TimeSpan pingAge) =>
            UntilSilent(now, time, readTimeout, pingAge) <= TimeSpan.Zero;

        /// <summary>How long until <see cref="IsSilent"/> turns true if nothing is heard meanwhile; MaxValue with no ping outstanding.</summary>
        public TimeSpan UntilSilent(long now, TimeProvider time, TimeSpan readTimeout, TimeSpan pingAge)
        {
            var sent = Volatile.Read(ref _pingSent);
            if (sent == 0)
            {
                return TimeSpan.MaxValue;
            }

            var heard = readTimeout - time.GetElapsedTime(Volatile.Read(ref _lastHeard), now);
            var aged = pingAge - time.GetElapsedTime(sent, now);
            return heard > aged ? heard : aged;
        }

        public void OnConnected(long sessionId, int negotiatedTimeoutMs, int serverId, long sessionZxid)
        {
            lock (client._gate)
            {
                if (_dead)
                {
                    return;
                }

                SessionId = sessionId;
                TimeoutMs = negotiatedTimeoutMs;
                SessionZxid = sessionZxid;
            }

            client.OnConnected(this);
        }

        public void OnReply(ClientReply reply) => client.OnReply(this, reply);

        public void OnDisconnected(CoordinationError reason) => client.OnDisconnected(this, reason);
    }
}
