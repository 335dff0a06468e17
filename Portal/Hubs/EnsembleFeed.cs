using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Portal.Hubs;

/// <summary>
/// One ensemble's subscription and the connections joined to it. Each batch read from the subscription is turned
/// into one hub message, serialized once for all of them, and posted to every joined connection's outbox.
/// </summary>
internal sealed class EnsembleFeed(string ensemble, EnsembleSubscription subscription)
{
    private readonly Lock _lock = new();
    private HubClientOutbox[] _members = [];
    private bool _closed;

    public string Ensemble { get; } = ensemble;

    public int Count => Volatile.Read(ref _members).Length;

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

    /// <summary>Joins <paramref name="outbox"/>; false once the feed has ended (its stream was disposed or the host is stopping).</summary>
    public bool TryAdd(HubClientOutbox outbox)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            if (Array.IndexOf(_members, outbox) < 0)
            {
                Volatile.Write(ref _members, [.. _members, outbox]);
            }

            return true;
        }
    }

    public bool Remove(string connectionId)
    {
        lock (_lock)
        {
            var index = Array.FindIndex(_members, m => m.ConnectionId == connectionId);
            if (index < 0)
            {
                return false;
            }

            Volatile.Write(ref _members, [.. _members[..index], .. _members[(index + 1)..]]);
            return true;
        }
    }

    /// <summary>Reads batches until the subscription or <paramref name="cancellationToken"/> ends; <paramref name="sent"/> counts messages posted.</summary>
    public async Task RunAsync(Action<int> sent, Action<Exception> failed, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in subscription.ReadBatchesAsync(cancellationToken).ConfigureAwait(false))
            {
                var members = Volatile.Read(ref _members);
                if (members.Length == 0)
                {
                    continue;
                }

                SerializedHubMessage message;
                try
                {
                    message = new SerializedHubMessage(new InvocationMessage(
                        nameof(IEnsembleClient.EventsReceived), [EnsembleEventBatchDto.From(Ensemble, batch)]));
                }
                catch (ArgumentException e)
                {
                    // An event kind without a payload is a bug here; the other ensembles' feeds and later batches go on.
                    failed(e);
                    continue;
                }

                foreach (var member in members)
                {
                    member.Post(message);
                }

                sent(members.Length);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
        finally
        {
            lock (_lock)
            {
                _closed = true;
            }

            subscription.Dispose();
        }
    }
}
