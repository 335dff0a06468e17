using Microsoft.AspNetCore.SignalR;

namespace QuorumPortal.Portal.Hubs;

/// <summary>
/// The writes waiting for one hub connection. A write that completes at once (the usual case: the transport has
/// room) leaves nothing behind; while one is stuck on a full transport buffer, later messages queue here in order,
/// up to a limit, and past it the connection is aborted. So a slow client costs its own queue, never anyone's time.
/// </summary>
internal sealed class HubClientOutbox(HubConnectionContext connection, int capacity, Action<HubClientOutbox> overflowed)
{
    private readonly Lock _lock = new();
    private readonly Queue<SerializedHubMessage> _pending = new();
    private bool _writing;
    private bool _closed;

    public string ConnectionId => connection.ConnectionId;

    /// <summary>Messages queued behind a write in progress.</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>True once the connection is gone or was dropped for falling behind.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>Queues <paramref name="message"/> after everything posted before it; never waits.</summary>
    public void Post(SerializedHubMessage message)
    {
        var overflow = false;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            if (!_writing)
            {
                _writing = true;
            }
            else if (_pending.Count < capacity)
            {
                _pending.Enqueue(message);
                return;
            }
            else
            {
                _closed = overflow = true;
                _pending.Clear();
            }
        }

        if (overflow)
        {
            overflowed(this);
            connection.Abort();
            return;
        }

        WriteFrom(message);
    }

    /// <summary>Stops writing: the connection is gone.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            _pending.Clear();
        }
    }

    private void WriteFrom(SerializedHubMessage? message)
    {
        while (message is not null)
        {
            var write = connection.WriteAsync(message);
            if (!write.IsCompletedSuccessfully)
            {
                _ = CompleteThenContinueAsync(write);
                return;
            }

            // Lets a pooled ValueTask source be reused.
            write.GetAwaiter().GetResult();
            message = Next();
        }
    }

    private async Task CompleteThenContinueAsync(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The transport failed; SignalR closes the connection and the fan-out forgets it.
            Close();
            return;
        }

        WriteFrom(Next());
    }

    private SerializedHubMessage? Next()
    {
        lock (_lock)
        {
            if (!_closed && _pending.TryDequeue(out var message))
            {
                return message;
            }

            _writing = false;
            return null;
        }
    }
}
