using System.Collections.Concurrent;

namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>
/// Connects nodes by server id inside one process, with fault injection: unreliable datagrams for
/// leader election and TCP-like connections for the leader/follower channel. Every callback runs on
/// the receiving node's loop. Thread-safe: sends read an immutable topology without locking; changes
/// (attach, detach, partition, connect, close) take a short lock and swap the topology.
/// </summary>
internal sealed partial class InMemoryNetwork
{
    private readonly Lock _gate = new();
    private readonly Random _random;
    private readonly ConcurrentDictionary<int, PacketCounters> _counters = new();
    private volatile Topology _topology = Topology.Empty;
    private volatile NetworkFaults _faults;
    private long _dropped;
    private long _duplicated;
    private long _retransmitted;
    private long _resets;

    /// <param name="random">Source of every fault decision; seed it for a reproducible run.</param>
    public InMemoryNetwork(Random random, NetworkFaults? faults = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        _random = random;
        faults ??= NetworkFaults.None;
        faults.Validate();
        _faults = faults;
    }

    /// <summary>Faults in effect; may be changed at any time and applies to packets sent afterwards.</summary>
    public NetworkFaults Faults
    {
        get => _faults;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            _faults = value;
        }
    }

    /// <summary>Totals over all nodes.</summary>
    public NetworkTotals Totals
    {
        get
        {
            long sent = 0, delivered = 0;
            foreach (var counters in _counters.Values)
            {
                sent += Volatile.Read(ref counters.Sent);
                delivered += Volatile.Read(ref counters.Received);
            }

            return new NetworkTotals(
                sent,
                delivered,
                Volatile.Read(ref _dropped),
                Volatile.Read(ref _duplicated),
                Volatile.Read(ref _retransmitted),
                Volatile.Read(ref _resets));
        }
    }

    /// <summary>Connects <paramref name="serverId"/>; callbacks go to <paramref name="endpoint"/> on <paramref name="loop"/>.</summary>
    /// <exception cref="InvalidOperationException">The id is already attached.</exception>
    public void Attach(int serverId, INetworkEndpoint endpoint, IEventLoop loop)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(loop);
        lock (_gate)
        {
            var topology = _topology;
            if (topology.Attachments.ContainsKey(serverId))
            {
                throw new InvalidOperationException($"Server {serverId} is already attached.");
            }

            var counters = _counters.GetOrAdd(serverId, static _ => new PacketCounters());
            var attachments = new Dictionary<int, Attachment>(topology.Attachments)
            {
                [serverId] = new Attachment(serverId, endpoint, loop, counters),
            };
            _topology = new Topology(attachments, topology.Groups);
        }
    }

    /// <summary>
    /// Disconnects <paramref name="serverId"/>. A crash resets its connections: reachable peers see
    /// them closed after the base delay, in-flight data is lost. A graceful detach closes them after
    /// the data already sent. Either way packets in flight to the node are dropped.
    /// </summary>
    public void Detach(int serverId, bool crash)
    {
        lock (_gate)
        {
            var topology = _topology;
            if (!topology.Attachments.TryGetValue(serverId, out var attachment))
            {
                return;
            }

            var attachments = new Dictionary<int, Attachment>(topology.Attachments);
            attachments.Remove(serverId);
            _topology = new Topology(attachments, topology.Groups);
            attachment.IsDetached = true;

            foreach (var connection in _connections.Values)
            {
                var end = connection.EndOf(attachment);
                if (end is null)
                {
                    continue;
                }

                if (crash)
                {
                    ResetByCrash(connection, end, topology);
                }
                else
                {
                    CloseEnd(connection, end);
                }
            }
        }
    }

    /// <summary>Splits nodes into groups that cannot talk to each other; unlisted nodes form one more group.</summary>
    /// <remarks>Connections between groups die for good: nothing more is delivered on them, even after <see cref="Heal"/>.</remarks>
    public void Partition(params IReadOnlyCollection<int>[] groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var map = new Dictionary<int, int>();
        for (var group = 0; group < groups.Length; group++)
        {
            foreach (var serverId in groups[group])
            {
                if (!map.TryAdd(serverId, group) && map[serverId] != group)
                {
                    throw new ArgumentException($"Server {serverId} is in more than one group.", nameof(groups));
                }
            }
        }

        SetGroups(map);
    }

    /// <summary>Cuts <paramref name="serverId"/> off from everyone, keeping the rest of the current partition.</summary>
    public void Isolate(int serverId)
    {
        lock (_gate)
        {
            var groups = new Dictionary<int, int>(_topology.Groups);
            groups[serverId] = groups.Count == 0 ? 0 : groups.Values.Max() + 1;
            SetGroups(groups);
        }
    }

    /// <summary>Removes every partition. Connections that died stay dead.</summary>
    public void Heal() => SetGroups(new Dictionary<int, int>());

    /// <summary>Whether the partition lets <paramref name="a"/> and <paramref name="b"/> talk (attachment aside).</summary>
    public bool CanReach(int a, int b) => _topology.CanReach(a, b);

    /// <summary>Whether <paramref name="serverId"/> is attached.</summary>
    public bool IsAttached(int serverId) => _topology.Attachments.ContainsKey(serverId);

    public PacketCounts GetPacketCounts(int serverId) =>
        _counters.TryGetValue(serverId, out var counters)
            ? new PacketCounts(Volatile.Read(ref counters.Sent), Volatile.Read(ref counters.Received))
            : default;

    /// <summary>Zeroes one node's packet counts, like ZooKeeper's <c>srst</c>.</summary>
    public void ResetPacketCounts(int serverId)
    {
        if (_counters.TryGetValue(serverId, out var counters))
        {
            Interlocked.Exchange(ref counters.Sent, 0);
            Interlocked.Exchange(ref counters.Received, 0);
        }
    }

    private void SetGroups(Dictionary<int, int> groups)
    {
        lock (_gate)
        {
            var topology = new Topology(_topology.Attachments, groups);
            _topology = topology;
            foreach (var connection in _connections.Values)
            {
                if (!topology.CanReach(connection.A.ServerId, connection.B.ServerId))
                {
                    Kill(connection);
                }
            }
        }
    }

    private void CountDropped() => Interlocked.Increment(ref _dropped);

    /// <summary>Runs <paramref name="action"/> on <paramref name="loop"/> after <paramref name="delay"/>, posting when there is none.</summary>
    private static void Deliver(IEventLoop loop, TimeSpan delay, Action action)
    {
        if (delay > TimeSpan.Zero)
        {
            loop.Schedule(delay, action);
        }
        else
        {
            loop.Post(action);
        }
    }

    private TimeSpan DrawDelay(NetworkFaults faults)
    {
        if (faults.Jitter <= TimeSpan.Zero)
        {
            return faults.Delay;
        }

        lock (_random)
        {
            return faults.Delay + TimeSpan.FromTicks((long)(_random.NextDouble() * faults.Jitter.Ticks));
        }
    }

    private bool Chance(double rate)
    {
        if (rate <= 0)
        {
            return false;
        }

        lock (_random)
        {
            return _random.NextDouble() < rate;
        }
    }

    /// <summary>Immutable, swapped whole on change, so reads need no lock.</summary>
    private sealed class Topology(Dictionary<int, Attachment> attachments, Dictionary<int, int> groups)
    {
        public static readonly Topology Empty = new([], []);

        public Dictionary<int, Attachment> Attachments { get; } = attachments;

        /// <summary>Server id to partition group; unlisted servers share group -1. Empty when healed.</summary>
        public Dictionary<int, int> Groups { get; } = groups;

        public bool CanReach(int a, int b) => a == b || Groups.Count == 0 || GroupOf(a) == GroupOf(b);

        private int GroupOf(int serverId) => Groups.TryGetValue(serverId, out var group) ? group : -1;
    }

    /// <summary>One incarnation of a node: a restart attaches a new one, so old traffic cannot reach it.</summary>
    private sealed class Attachment(int serverId, INetworkEndpoint endpoint, IEventLoop loop, PacketCounters counters)
    {
        private volatile bool _detached;

        public int ServerId { get; } = serverId;

        public INetworkEndpoint Endpoint { get; } = endpoint;

        public IEventLoop Loop { get; } = loop;

        public PacketCounters Counters { get; } = counters;

        public bool IsDetached
        {
            get => _detached;
            set => _detached = value;
        }
    }

    private sealed class PacketCounters
    {
        public long Sent;
        public long Received;
    }
}
