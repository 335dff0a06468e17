namespace QuorumPortal.Engine.Embedded.Runtime;

internal sealed partial class InMemoryNetwork
{
    /// <summary>
    /// Sends an unreliable datagram: it may be lost, duplicated or delayed (so overtaken), and is
    /// dropped if either node is detached or they are partitioned apart, at send or at arrival.
    /// </summary>
    public void SendDatagram(int from, int to, object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var topology = _topology;
        if (!topology.Attachments.TryGetValue(from, out var source))
        {
            CountDropped();
            return;
        }

        Interlocked.Increment(ref source.Counters.Sent);
        if (!topology.Attachments.TryGetValue(to, out var target) || !topology.CanReach(from, to))
        {
            CountDropped();
            return;
        }

        var faults = _faults;
        if (!faults.IsActive)
        {
            target.Loop.Post(() => DeliverDatagram(target, from, message));
            return;
        }

        if (Chance(faults.DropRate))
        {
            CountDropped();
            return;
        }

        var copies = 1;
        if (Chance(faults.DuplicateRate))
        {
            copies = 2;
            Interlocked.Increment(ref _duplicated);
        }

        for (var i = 0; i < copies; i++)
        {
            Deliver(target.Loop, DrawDelay(faults), () => DeliverDatagram(target, from, message));
        }
    }

    private void DeliverDatagram(Attachment target, int from, object message)
    {
        if (target.IsDetached || !_topology.CanReach(from, target.ServerId))
        {
            CountDropped();
            return;
        }

        Interlocked.Increment(ref target.Counters.Received);
        target.Endpoint.OnDatagram(from, message);
    }
}
