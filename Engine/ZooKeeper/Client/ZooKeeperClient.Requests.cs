using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.ZooKeeper.Jute;

namespace QuorumPortal.Engine.ZooKeeper.Client;

// Requests on the wire: one writer, one reader, a FIFO of pending requests, pings.
public sealed partial class ZooKeeperClient
{
    private enum WatchKind
    {
        None,
        Data,
        Exists,
        Children,
    }

    /// <summary>Adds credentials of any scheme; resent on every reconnect. A rejected one ends the session (AuthFailed).</summary>
    public async Task AddAuthAsync(string scheme, byte[] auth, CancellationToken cancellationToken = default)
    {
        var packet = new AuthPacket(0, scheme, auth);
        var frame = FrameBuffer.Build(new RequestHeader(Xids.Auth, OpCode.Auth), packet);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        while (true)
        {
            var connection = await GetConnectionAsync(closing: false, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (connection.Dead)
                {
                    continue;
                }

                _auth.Add(packet);
                connection.AuthPending.Enqueue(done);
                connection.Outgoing.Writer.TryWrite(frame);
                break;
            }
        }

        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task<T> SendAsync<T>(OpCode type, IJuteRecord? body, string? path, JuteItemReader<T>? decode, CancellationToken cancellationToken,
        WatchKind watch = WatchKind.None, bool nullOnNoNode = false) =>
        SendAsync(type, body, path, decode, cancellationToken, closing: false, watch, nullOnNoNode);

    private async Task<T> SendAsync<T>(OpCode type, IJuteRecord? body, string? path, JuteItemReader<T>? decode, CancellationToken cancellationToken,
        bool closing, WatchKind watch = WatchKind.None, bool nullOnNoNode = false)
    {
        var buffer = new FrameBuffer();
        new RequestHeader(0, type).Write(buffer.Writer);
        body?.Write(buffer.Writer);
        var frame = buffer.Complete().ToArray();
        Pending<T> pending;
        while (true)
        {
            var connection = await GetConnectionAsync(closing, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (connection.Dead)
                {
                    continue;
                }

                // Xid order, FIFO order and write order must agree, so all three happen under one lock.
                var xid = NextXid();
                BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), xid);
                pending = new Pending<T>(xid, type, path, decode, watch, nullOnNoNode);
                connection.Pending.Enqueue(pending);
                connection.Outgoing.Writer.TryWrite(frame);
                break;
            }
        }

        // Cancelling stops the wait, not the request: it stays in the FIFO so the replies stay matched.
        return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private int NextXid()
    {
        _xid = _xid == int.MaxValue ? 1 : _xid + 1;
        return _xid;
    }

    private static int ReadXid(byte[] frame) => BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));

    private void UpdateLastZxid(long zxid)
    {
        var seen = Volatile.Read(ref _lastZxid);
        while (zxid > seen)
        {
            var previous = Interlocked.CompareExchange(ref _lastZxid, zxid, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    /// <summary>Dispatches one server frame; throws <see cref="InvalidDataException"/> for a protocol violation.</summary>
    private void HandleFrame(Connection connection, ReadOnlySpan<byte> payload)
    {
        var reader = new JuteReader(payload);
        var header = ReplyHeader.Read(ref reader);
        if (header.Zxid > 0)
        {
            UpdateLastZxid(header.Zxid);
        }

        switch (header.Xid)
        {
            case Xids.Ping:
                return;
            case Xids.Notification:
                HandleEvent(WatcherEvent.Read(ref reader));
                return;
            case Xids.Auth:
                HandleAuthReply(connection, header.Err);
                return;
        }

        PendingRequest? pending;
        lock (_gate)
        {
            connection.Pending.TryDequeue(out pending);
        }

        if (pending is null)
        {
            throw new InvalidDataException($"reply with xid {header.Xid} but no request is pending");
        }

        if (pending.Xid != header.Xid)
        {
            pending.Fail(new CoordinationException(CoordinationError.ConnectionLoss, pending.Path, $"reply xid {header.Xid} out of order"));
            throw new InvalidDataException($"reply xid {header.Xid} out of order: expected {pending.Xid} (replies must come back in request order)");
        }

        if (header.Err == 0 || (header.Err == (int)CoordinationError.NoNode && pending.NullOnNoNode))
        {
            try
            {
                pending.Complete(ref reader, header.Err == 0);
            }
            catch (InvalidDataException e)
            {
                pending.Fail(new CoordinationException(CoordinationError.MarshallingError, pending.Path, e.Message, e));
                throw;
            }

            RegisterWatch(pending.Watch, pending.Path, exists: header.Err == 0);
            return;
        }

        var error = KeeperErrors.ToCoordinationError(header.Err);
        var detail = error == CoordinationError.SystemError && header.Err != (int)CoordinationError.SystemError ? $"ZooKeeper code {header.Err}" : null;
        pending.Fail(new CoordinationException(error, pending.Path, detail));
        if (pending.Watch == WatchKind.Exists && header.Err == (int)CoordinationError.NoNode)
        {
            RegisterWatch(WatchKind.Exists, pending.Path, exists: false);
        }
    }

    private void HandleAuthReply(Connection connection, int err)
    {
        TaskCompletionSource? done;
        lock (_gate)
        {
            connection.AuthPending.TryDequeue(out done);
            if (err == (int)CoordinationError.AuthFailed)
            {
                _authFailed = true;
            }
        }

        if (err == 0)
        {
            done?.TrySetResult();
            return;
        }

        done?.TrySetException(new CoordinationException(KeeperErrors.ToCoordinationError(err), null, "authentication rejected"));
        if (err == (int)CoordinationError.AuthFailed)
        {
            _events.Writer.TryWrite(new WatchEvent(WatchEventType.None, KeeperState.AuthFailed, null));
        }
    }

    private void RegisterWatch(WatchKind kind, string? path, bool exists)
    {
        if (kind == WatchKind.None || path is null)
        {
            return;
        }

        lock (_gate)
        {
            var set = kind switch
            {
                WatchKind.Children => _childWatches,
                WatchKind.Exists when !exists => _existWatches,
                _ => _dataWatches,
            };
            set.Add(path);
        }
    }

    private void HandleEvent(WatcherEvent e)
    {
        var type = (WatchEventType)e.Type;
        lock (_gate)
        {
            // Standard watches fire once; forget them so a reconnect does not re-arm them.
            if (type is WatchEventType.NodeCreated or WatchEventType.NodeDataChanged or WatchEventType.NodeDeleted)
            {
                _dataWatches.Remove(e.Path);
                _existWatches.Remove(e.Path);
            }

            if (type is WatchEventType.NodeChildrenChanged or WatchEventType.NodeDeleted)
            {
                _childWatches.Remove(e.Path);
            }
        }

        _events.Writer.TryWrite(new WatchEvent(type, (KeeperState)e.State, e.Path));
    }

    private abstract class PendingRequest(int xid, OpCode type, string? path, WatchKind watch, bool nullOnNoNode)
    {
        public int Xid { get; } = xid;

        public OpCode Type { get; } = type;

        public string? Path { get; } = path;

        public WatchKind Watch { get; } = watch;

        public bool NullOnNoNode { get; } = nullOnNoNode;

        /// <summary>Decodes the body (when <paramref name="hasBody"/>) and completes.</summary>
        public abstract void Complete(ref JuteReader reader, bool hasBody);

        public abstract void Fail(Exception error);
    }

    private sealed class Pending<T>(int xid, OpCode type, string? path, JuteItemReader<T>? decode, WatchKind watch, bool nullOnNoNode)
        : PendingRequest(xid, type, path, watch, nullOnNoNode)
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _done.Task;

        public override void Complete(ref JuteReader reader, bool hasBody) =>
            _done.TrySetResult(hasBody && decode is not null ? decode(ref reader) : default!);

        public override void Fail(Exception error) => _done.TrySetException(error);
    }

    /// <summary>One TCP connection of the session: a reader loop, a writer loop and a ping loop.</summary>
    private sealed class Connection(ZooKeeperClient client, Socket socket, NetworkStream stream, FrameDecoder decoder, string endpoint, int timeoutMs)
    {
        private readonly CancellationTokenSource _stop = new();
        private long _lastSend = client._time.GetTimestamp();
        private long _lastReceive = client._time.GetTimestamp();

        public string Endpoint { get; } = endpoint;

        /// <summary>Guarded by the client's gate.</summary>
        public bool Dead { get; set; }

        /// <summary>Requests written, in write order. Guarded by the client's gate.</summary>
        public Queue<PendingRequest> Pending { get; } = new();

        public Queue<TaskCompletionSource> AuthPending { get; } = new();

        public Channel<byte[]> Outgoing { get; } = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });

        public void Start()
        {
            _ = Task.Run(WriteLoopAsync);
            _ = Task.Run(ReadLoopAsync);
            _ = Task.Run(PingLoopAsync);
        }

        public void Shutdown()
        {
            Outgoing.Writer.TryComplete();
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }

            socket.Dispose();
        }

        private async Task WriteLoopAsync()
        {
            var batch = new ArrayBufferWriter<byte>(64 * 1024);
            try
            {
                var reader = Outgoing.Reader;
                while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
                {
                    // Pipelined requests leave in one write: fewer syscalls, same order.
                    batch.Clear();
                    while (batch.WrittenCount < 64 * 1024 && reader.TryRead(out var frame))
                    {
                        batch.Write(frame);
                    }

                    await stream.WriteAsync(batch.WrittenMemory, _stop.Token).ConfigureAwait(false);
                    Volatile.Write(ref _lastSend, client._time.GetTimestamp());
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                client.Fail(this, e);
            }
        }

        private async Task ReadLoopAsync()
        {
            try
            {
                while (true)
                {
                    var n = await stream.ReadAsync(decoder.GetReadBuffer(), _stop.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        decoder.Complete();
                        throw new IOException($"{Endpoint} closed the connection");
                    }

                    decoder.Advance(n);
                    Volatile.Write(ref _lastReceive, client._time.GetTimestamp());
                    while (decoder.TryReadFrame(out var payload))
                    {
                        client.HandleFrame(this, payload.Span);
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidDataException)
            {
                client.Fail(this, e);
            }
        }

        private async Task PingLoopAsync()
        {
            // Ping when nothing was sent for a third of the timeout; give up when nothing came back for two thirds.
            var pingAfter = TimeSpan.FromMilliseconds(timeoutMs / 3.0);
            var readTimeout = TimeSpan.FromMilliseconds(timeoutMs * 2 / 3.0);
            var ping = FrameBuffer.Build(new RequestHeader(Xids.Ping, OpCode.Ping));
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(timeoutMs / 10, 10)), client._time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                {
                    if (client._time.GetElapsedTime(Volatile.Read(ref _lastReceive)) > readTimeout)
                    {
                        client.Fail(this, new TimeoutException($"nothing received from {Endpoint} for {readTimeout.TotalMilliseconds:F0} ms"));
                        return;
                    }

                    if (client._time.GetElapsedTime(Volatile.Read(ref _lastSend)) >= pingAfter)
                    {
                        Volatile.Write(ref _lastSend, client._time.GetTimestamp());
                        Outgoing.Writer.TryWrite(ping);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
