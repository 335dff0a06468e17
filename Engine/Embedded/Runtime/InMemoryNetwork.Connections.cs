using System.Collections.Concurrent;

namespace QuorumPortal.Engine.Embedded.Runtime;

internal sealed partial class InMemoryNetwork
{
    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private const int MaxPacketsPerDrain = 1024;
    private long _lastConnectionId;

    /// <summary>
    /// Opens a TCP-like connection; the id is new even when the connect fails. If <paramref name="to"/>
    /// is detached, <paramref name="from"/> sees the connection closed after the base delay (refused).
    /// If they are partitioned apart, nothing ever happens on it (the caller must time out).
    /// </summary>
    public long Connect(int from, int to)
    {
        if (from == to)
        {
            throw new ArgumentException("A node cannot connect to itself.", nameof(to));
        }

        lock (_gate)
        {
            var id = ++_lastConnectionId;
            var topology = _topology;
            if (!topology.Attachments.TryGetValue(from, out var source) || !topology.CanReach(from, to))
            {
                return id;
            }

            if (!topology.Attachments.TryGetValue(to, out var target))
            {
                Deliver(source.Loop, _faults.Delay, () =>
                {
                    if (!source.IsDetached)
                    {
                        source.Endpoint.OnClosed(id, to);
                    }
                });
                return id;
            }

            var connection = new Connection(id, source, target);
            _connections[id] = connection;
            Enqueue(connection, connection.A, new Packet(PacketKind.Connected, null));
            return id;
        }
    }

    /// <summary>
    /// Sends on a connection: delivered once, in order, unless the connection dies first. Ignored on
    /// a closed or dead connection.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="from"/> is not an end of the connection.</exception>
    public void Send(long connectionId, int from, object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_connections.TryGetValue(connectionId, out var connection))
        {
            return;
        }

        var sender = connection.EndOf(from);
        if (connection.IsDead || sender.IsDone)
        {
            return;
        }

        Interlocked.Increment(ref sender.Attachment.Counters.Sent);
        var topology = _topology;
        if (topology.Groups.Count != 0 && !topology.CanReach(connection.A.ServerId, connection.B.ServerId))
        {
            // A connect racing a partition can slip past its sweep; catch it here.
            Kill(connection);
            CountDropped();
            return;
        }

        Enqueue(connection, sender, new Packet(PacketKind.Message, message));
    }

    /// <summary>Closes this end; the peer sees it closed after the data already sent. Later sends are ignored.</summary>
    public void Close(long connectionId, int from)
    {
        if (_connections.TryGetValue(connectionId, out var connection))
        {
            lock (_gate)
            {
                CloseEnd(connection, connection.EndOf(from));
            }
        }
    }

    private void CloseEnd(Connection connection, ConnectionEnd end)
    {
        if (end.IsDone)
        {
            return;
        }

        end.IsDone = true;
        if (connection.IsDead || end.Peer.IsDone)
        {
            _connections.TryRemove(connection.Id, out _);
            return;
        }

        // Like a FIN: queued behind the data, so the peer reads everything first.
        Enqueue(connection, end, new Packet(PacketKind.Closed, null));
    }

    /// <summary>A crashed node's connection: in-flight data is lost, a reachable peer hears promptly.</summary>
    private void ResetByCrash(Connection connection, ConnectionEnd crashed, Topology topology)
    {
        var wasAlive = Kill(connection);
        crashed.IsDone = true;
        var peer = crashed.Peer;
        if (wasAlive && topology.CanReach(crashed.ServerId, peer.ServerId))
        {
            NotifyClosed(connection, peer, _faults.Delay);
        }
    }

    private void Reset(Connection connection)
    {
        if (Kill(connection))
        {
            Interlocked.Increment(ref _resets);
            var delay = _faults.Delay;
            NotifyClosed(connection, connection.A, delay);
            NotifyClosed(connection, connection.B, delay);
        }
    }

    /// <summary>Tells <paramref name="end"/> its connection is gone, bypassing queued data (a reset).</summary>
    private static void NotifyClosed(Connection connection, ConnectionEnd end, TimeSpan delay)
    {
        if (end.IsDone)
        {
            return;
        }

        Deliver(end.Attachment.Loop, delay, () =>
        {
            if (end.IsDone || end.Attachment.IsDetached)
            {
                return;
            }

            end.IsDone = true;
            end.Attachment.Endpoint.OnClosed(connection.Id, end.Peer.ServerId);
        });
    }

    /// <summary>Marks the connection dead; true if it was alive.</summary>
    private bool Kill(Connection connection)
    {
        if (!connection.TryKill())
        {
            return false;
        }

        _connections.TryRemove(connection.Id, out _);
        return true;
    }

    private void Enqueue(Connection connection, ConnectionEnd sender, Packet packet)
    {
        var receiver = sender.Peer;
        var outbox = sender.Outbox;
        var faults = _faults;

        // Fast path: nothing delayed is ahead of this packet, so queueing it for the receiver's next drain keeps the
        // order. Like a socket's receive buffer: a burst costs the receiving loop one post and one wake-up, not one each.
        if (!faults.IsActive && Volatile.Read(ref outbox.InFlight) == 0)
        {
            receiver.Ready.Enqueue(packet);
            ScheduleDrain(connection, receiver);
            return;
        }

        var delay = DrawDelay(faults);
        if (packet.Kind == PacketKind.Message)
        {
            if (Chance(faults.ResetRate))
            {
                CountDropped();
                Reset(connection);
                return;
            }

            if (Chance(faults.DropRate))
            {
                // TCP hides the loss: the packet (and everything behind it) comes late.
                Interlocked.Increment(ref _retransmitted);
                delay += faults.EffectiveRetransmitDelay;
            }

            if (Chance(faults.DuplicateRate))
            {
                // TCP discards the copy by sequence number.
                Interlocked.Increment(ref _duplicated);
            }
        }

        var loop = receiver.Attachment.Loop;
        lock (outbox)
        {
            // Timers may fire out of order (jitter, clock skew between loops): each delivers the
            // oldest queued packet, and due times never decrease, so the stream stays FIFO.
            var now = loop.Now.Ticks;
            var due = Math.Max(now + delay.Ticks, outbox.LastDue);
            outbox.LastDue = due;
            outbox.Pending.Enqueue(packet);
            outbox.InFlight++;
            Deliver(loop, TimeSpan.FromTicks(due - now), () => DeliverNext(connection, receiver, outbox));
        }
    }

    private void ScheduleDrain(Connection connection, ConnectionEnd receiver)
    {
        if (Interlocked.Exchange(ref receiver.DrainScheduled, 1) == 0)
        {
            receiver.Attachment.Loop.Post(receiver.Drain ??= () => DrainReady(connection, receiver));
        }
    }

    /// <summary>Delivers what the fast path queued for <paramref name="receiver"/>, a bounded number per turn of its loop.</summary>
    private void DrainReady(Connection connection, ConnectionEnd receiver)
    {
        // Cleared first: a packet queued from here on schedules another drain (at worst one that finds nothing).
        Volatile.Write(ref receiver.DrainScheduled, 0);
        for (var i = 0; i < MaxPacketsPerDrain && receiver.Ready.TryDequeue(out var packet); i++)
        {
            DeliverPacket(connection, receiver, packet);
        }

        if (!receiver.Ready.IsEmpty)
        {
            ScheduleDrain(connection, receiver); // the rest after the loop's other work, so timers are not starved
        }
    }

    private void DeliverNext(Connection connection, ConnectionEnd receiver, Outbox outbox)
    {
        Packet packet;
        lock (outbox)
        {
            packet = outbox.Pending.Dequeue();
        }

        try
        {
            if (receiver.Ready.IsEmpty)
            {
                DeliverPacket(connection, receiver, packet);
            }
            else
            {
                // Fast-path packets sent before faults came on still wait for a drain: this one goes behind them.
                receiver.Ready.Enqueue(packet);
                DrainReady(connection, receiver);
            }
        }
        finally
        {
            // Only now may the fast path be taken again: a packet sent meanwhile must not pass this one.
            lock (outbox)
            {
                outbox.InFlight--;
            }
        }
    }

    private void DeliverPacket(Connection connection, ConnectionEnd receiver, Packet packet)
    {
        if (connection.IsDead || receiver.IsDone || receiver.Attachment.IsDetached)
        {
            if (packet.Kind == PacketKind.Message)
            {
                CountDropped();
            }

            return;
        }

        var endpoint = receiver.Attachment.Endpoint;
        var from = receiver.Peer.ServerId;
        switch (packet.Kind)
        {
            case PacketKind.Connected:
                endpoint.OnConnected(connection.Id, from);
                break;
            case PacketKind.Message:
                Interlocked.Increment(ref receiver.Attachment.Counters.Received);
                endpoint.OnMessage(connection.Id, from, packet.Message!);
                break;
            case PacketKind.Closed:
                receiver.IsDone = true;
                _connections.TryRemove(connection.Id, out _);
                endpoint.OnClosed(connection.Id, from);
                break;
        }
    }

    private enum PacketKind
    {
        Connected,
        Message,
        Closed,
    }

    private readonly record struct Packet(PacketKind Kind, object? Message);

    private sealed class Connection
    {
        private int _dead;

        public Connection(long id, Attachment initiator, Attachment acceptor)
        {
            Id = id;
            A = new ConnectionEnd(initiator);
            B = new ConnectionEnd(acceptor);
            A.Peer = B;
            B.Peer = A;
        }

        public long Id { get; }

        /// <summary>The end that connected.</summary>
        public ConnectionEnd A { get; }

        /// <summary>The end that accepted.</summary>
        public ConnectionEnd B { get; }

        /// <summary>Reset, crashed or partitioned: nothing more is delivered either way.</summary>
        public bool IsDead => Volatile.Read(ref _dead) != 0;

        public bool TryKill() => Interlocked.Exchange(ref _dead, 1) == 0;

        public ConnectionEnd EndOf(int serverId) =>
            serverId == A.ServerId ? A
            : serverId == B.ServerId ? B
            : throw new ArgumentException($"Server {serverId} is not an end of connection {Id}.", nameof(serverId));

        public ConnectionEnd? EndOf(Attachment attachment) =>
            ReferenceEquals(A.Attachment, attachment) ? A
            : ReferenceEquals(B.Attachment, attachment) ? B
            : null;
    }

    private sealed class ConnectionEnd(Attachment attachment)
    {
        private volatile bool _done;

        public Attachment Attachment { get; } = attachment;

        public int ServerId => Attachment.ServerId;

        public ConnectionEnd Peer { get; set; } = null!;

        /// <summary>This end closed it, or was told it is closed; it gets no more callbacks.</summary>
        public bool IsDone
        {
            get => _done;
            set => _done = value;
        }

        /// <summary>Packets from this end to its peer.</summary>
        public Outbox Outbox { get; } = new();

        /// <summary>Packets for this end that the fast path queued; delivered in order by <see cref="Drain"/> on its loop.</summary>
        public ConcurrentQueue<Packet> Ready { get; } = new();

        /// <summary>1 while a drain is posted and has not started; the sender posts one only when this was 0.</summary>
        public int DrainScheduled;

        /// <summary>Created once per end, so a delivery allocates no closure.</summary>
        public Action? Drain { get; set; }
    }

    private sealed class Outbox
    {
        public readonly Queue<Packet> Pending = new();
        public long LastDue;
        public int InFlight;
    }
}
