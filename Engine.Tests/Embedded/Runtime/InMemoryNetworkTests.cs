using QuorumPortal.Engine.Embedded.Runtime;

namespace QuorumPortal.Engine.Tests.Embedded.Runtime;

public sealed class InMemoryNetworkTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(10);

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Fact]
    public void Send_NoFaults_PostsWithoutAdvancingTime()
    {
        var net = new SimNet(seed: 1);
        var (one, two) = (net.Add(1), net.Add(2));

        var connection = net.Network.Connect(1, 2);
        net.Network.Send(connection, 1, "hello");
        net.Network.SendDatagram(2, 1, "vote");
        net.RunToIdle();

        Assert.Equal([(connection, 1)], two.Connected);
        Assert.Equal(["hello"], two.Messages);
        Assert.Equal(["vote"], one.Datagrams);
        Assert.Equal(TimeSpan.Zero, net.Sim.Now);
        Assert.Equal(new PacketCounts(1, 1), net.Network.GetPacketCounts(1));
        Assert.Equal(new PacketCounts(1, 1), net.Network.GetPacketCounts(2));
        Assert.Equal(new NetworkTotals(2, 2, 0, 0, 0, 0), net.Network.Totals);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Send_JitterLossAndDuplicates_DeliversEachMessageOnceInOrder(int seed)
    {
        var net = new SimNet(seed, new NetworkFaults
        {
            Delay = Ms(1),
            Jitter = Ms(5),
            DropRate = 0.2,
            DuplicateRate = 0.2,
        });
        var (one, two) = (net.Add(1), net.Add(2));
        var connection = net.Network.Connect(1, 2);
        const int count = 2_000;

        // Bursts at the same instant and sends spread over time, in both directions.
        for (var i = 0; i < count; i++)
        {
            var value = i;
            one.Loop.Schedule(Ms(i / 10), () => net.Network.Send(connection, 1, value));
            two.Loop.Schedule(Ms(1 + (i / 10)), () => net.Network.Send(connection, 2, -value));
        }

        net.RunToIdle();

        Assert.True(Enumerable.Range(0, count).Cast<object>().SequenceEqual(two.Messages), $"seed {seed}: 1 -> 2 out of order");
        Assert.True(Enumerable.Range(0, count).Select(i => (object)(-i)).SequenceEqual(one.Messages), $"seed {seed}: 2 -> 1 out of order");
        Assert.StartsWith($"{two.Events[0].Split(' ')[0]} @2 connected", two.Events[0]);
        var totals = net.Network.Totals;
        Assert.True(totals.Retransmitted > 0 && totals.Duplicated > 0, $"seed {seed}: {totals}");
        Assert.Equal(0, totals.Dropped);
    }

    [Fact]
    public void SendDatagram_WithFaults_DropsDuplicatesAndReorders()
    {
        const int seed = 21;
        var net = new SimNet(seed, new NetworkFaults
        {
            Delay = Ms(1),
            Jitter = Ms(10),
            DropRate = 0.1,
            DuplicateRate = 0.1,
        });
        net.Add(1);
        var two = net.Add(2);
        const int count = 10_000;

        for (var i = 0; i < count; i++)
        {
            net.Network.SendDatagram(1, 2, i);
        }

        net.RunToIdle();

        var received = two.Datagrams.Cast<int>().ToList();
        var distinct = received.Distinct().Count();
        var lost = count - distinct;
        var duplicates = received.Count - distinct;
        var inversions = received.Zip(received.Skip(1)).Count(pair => pair.First > pair.Second);
        Assert.True(lost is > 800 and < 1200, $"seed {seed}: {lost} lost");
        Assert.True(duplicates is > 700 and < 1100, $"seed {seed}: {duplicates} duplicated");
        Assert.True(inversions > count / 10, $"seed {seed}: only {inversions} reordered");
        var totals = net.Network.Totals;
        Assert.Equal(new NetworkTotals(count, received.Count, lost, duplicates, 0, 0), totals);
    }

    [Fact]
    public void SendDatagram_PartitionedOrDetached_IsDropped()
    {
        var net = new SimNet(seed: 1);
        var one = net.Add(1);
        net.Add(2);
        net.Add(3);

        net.Network.Partition([1], [2]);
        net.Network.SendDatagram(2, 1, "across the partition");
        net.Network.SendDatagram(3, 1, "from the unlisted group");
        net.Network.SendDatagram(9, 1, "from nobody");
        net.Network.Heal();
        net.Network.SendDatagram(2, 1, "after heal");
        net.Network.Detach(1, crash: true);
        net.Network.SendDatagram(2, 1, "to a crashed node");
        net.RunToIdle();

        Assert.Empty(one.Datagrams);
        Assert.Equal(5, net.Network.Totals.Dropped);
        Assert.Equal(0, net.Network.Totals.Delivered);
    }

    [Fact]
    public void Partition_OpenConnection_StaysDeadAfterHeal()
    {
        var net = new SimNet(seed: 1, new NetworkFaults { Delay = Ms(1) });
        var (one, two) = (net.Add(1), net.Add(2));
        var old = net.Network.Connect(1, 2);
        net.Network.Send(old, 1, "before");
        net.RunToIdle();

        net.Network.Partition([1], [2]);
        net.Network.Send(old, 1, "during");
        net.Network.Send(old, 2, "during");
        net.RunToIdle();
        net.Network.Heal();
        net.Network.Send(old, 1, "after heal");
        net.Network.Send(old, 2, "after heal");
        var fresh = net.Network.Connect(1, 2);
        net.Network.Send(fresh, 1, "fresh");
        net.RunToIdle();

        Assert.Equal(["before", "fresh"], two.Messages);
        Assert.Empty(one.Messages);
        Assert.Empty(one.Closed);
        Assert.Empty(two.Closed);
        Assert.Equal([(old, 1), (fresh, 1)], two.Connected);
    }

    [Fact]
    public void Partition_MessagesInFlight_AreLost()
    {
        var net = new SimNet(seed: 1, new NetworkFaults { Delay = Ms(5) });
        net.Add(1);
        var two = net.Add(2);
        var connection = net.Network.Connect(1, 2);
        net.Network.Send(connection, 1, "in flight");

        net.Sim.RunFor(Ms(1));
        net.Network.Isolate(2);
        net.RunToIdle();

        Assert.Empty(two.Connected);
        Assert.Empty(two.Messages);
        Assert.False(net.Network.CanReach(1, 2));
    }

    [Fact]
    public void Connect_AcrossPartition_IsNeverAnswered()
    {
        var net = new SimNet(seed: 1, new NetworkFaults { Delay = Ms(1) });
        var (one, two) = (net.Add(1), net.Add(2));
        net.Network.Partition([1], [2]);

        var connection = net.Network.Connect(1, 2);
        net.Network.Send(connection, 1, "lost");
        net.RunToIdle();

        Assert.Empty(two.Connected);
        Assert.Empty(two.Messages);
        Assert.Empty(one.Closed);
    }

    [Fact]
    public void Connect_ToDetachedNode_IsRefusedAfterTheBaseDelay()
    {
        var net = new SimNet(seed: 1, new NetworkFaults { Delay = Ms(3) });
        var one = net.Add(1);

        var connection = net.Network.Connect(1, 2);
        net.RunToIdle();

        Assert.Equal([(connection, 2, Ms(3))], one.Closed);
    }

    [Fact]
    public void Detach_Crash_NotifiesReachablePeersOnlyAndLosesDataInFlight()
    {
        var net = new SimNet(seed: 1, new NetworkFaults { Delay = Ms(2) });
        var (one, two, three) = (net.Add(1), net.Add(2), net.Add(3));
        var toTwo = net.Network.Connect(1, 2);
        var toThree = net.Network.Connect(1, 3);
        net.RunToIdle();
        net.Network.Partition([1, 2], [3]);

        var crashAt = net.Sim.Now;
        net.Network.Send(toTwo, 1, "in flight");
        net.Network.Detach(1, crash: true);
        one.Loop.Stop();
        net.Network.Send(toTwo, 2, "to the crashed node");
        net.RunToIdle();

        Assert.Equal([(toTwo, 1, crashAt + Ms(2))], two.Closed);
        Assert.Empty(two.Messages);
        Assert.Equal([(toThree, 1)], three.Connected);
        Assert.Empty(three.Closed);
        Assert.Empty(one.Messages);
    }

    [Fact]
    public void Detach_Graceful_PeersReadTheDataThenSeeTheClose()
    {
        var net = new SimNet(seed: 1, new NetworkFaults { Delay = Ms(1), Jitter = Ms(4) });
        var (one, two) = (net.Add(1), net.Add(2));
        var connection = net.Network.Connect(1, 2);
        net.Network.Send(connection, 1, "a");
        net.Network.Send(connection, 1, "b");

        net.Network.Detach(1, crash: false);
        net.RunToIdle();

        Assert.Equal(["a", "b"], two.Messages);
        Assert.Equal([(connection, 1)], two.Closed.Select(c => (c.Connection, c.Peer)));
        Assert.Empty(one.Closed);
    }

    [Fact]
    public void Close_Graceful_PeerReadsTheDataFirstAndLaterSendsAreIgnored()
    {
        var net = new SimNet(seed: 1, new NetworkFaults { Delay = Ms(1), Jitter = Ms(4) });
        var (one, two) = (net.Add(1), net.Add(2));
        var connection = net.Network.Connect(1, 2);
        for (var i = 0; i < 10; i++)
        {
            net.Network.Send(connection, 1, i);
        }

        net.Network.Close(connection, 1);
        net.Network.Send(connection, 1, "after close");
        net.Network.Send(connection, 2, "to the closed end");
        net.RunToIdle();
        net.Network.Close(connection, 2);
        net.RunToIdle();

        Assert.Equal(Enumerable.Range(0, 10).Cast<object>(), two.Messages);
        Assert.Equal([(connection, 1)], two.Closed.Select(c => (c.Connection, c.Peer)));
        Assert.EndsWith($"closed {connection} by 1", two.Events[^1]);
        Assert.Empty(one.Messages);
        Assert.Empty(one.Closed);
    }

    [Fact]
    public void Attach_RestartAfterCrash_NewConnectionsReachTheNewEndpointOnly()
    {
        var net = new SimNet(seed: 1, new NetworkFaults { Delay = Ms(1) });
        var (one, oldTwo) = (net.Add(1), net.Add(2));
        var old = net.Network.Connect(1, 2);
        net.RunToIdle();

        net.Network.Detach(2, crash: true);
        oldTwo.Loop.Stop();
        var newTwo = net.Add(2);
        net.Network.Send(old, 1, "on the old connection");
        var fresh = net.Network.Connect(1, 2);
        net.Network.Send(fresh, 1, "on the new connection");
        net.RunToIdle();

        Assert.Equal([(old, 2)], one.Closed.Select(c => (c.Connection, c.Peer)));
        Assert.Equal(["on the new connection"], newTwo.Messages);
        Assert.Equal([(fresh, 1)], newTwo.Connected);
        Assert.Empty(oldTwo.Messages);
    }

    [Fact]
    public void Send_ResetFault_ClosesBothEndsAndLosesTheMessage()
    {
        var net = new SimNet(seed: 1, new NetworkFaults { Delay = Ms(1) });
        var (one, two) = (net.Add(1), net.Add(2));
        var connection = net.Network.Connect(1, 2);
        net.RunToIdle();

        net.Network.Faults = net.Network.Faults with { ResetRate = 1 };
        net.Network.Send(connection, 1, "reset");
        net.RunToIdle();

        Assert.Empty(two.Messages);
        Assert.Equal([(connection, 2)], one.Closed.Select(c => (c.Connection, c.Peer)));
        Assert.Equal([(connection, 1)], two.Closed.Select(c => (c.Connection, c.Peer)));
        Assert.Equal(1, net.Network.Totals.Resets);
    }

    [Fact]
    public void Faults_ChangedWhileDelayedPacketsInFlight_KeepsConnectionOrder()
    {
        var net = new SimNet(seed: 1, new NetworkFaults { Delay = Ms(5), Jitter = Ms(5) });
        net.Add(1);
        var two = net.Add(2);
        var connection = net.Network.Connect(1, 2);
        net.Network.Send(connection, 1, 1);

        net.Network.Faults = NetworkFaults.None;
        net.Network.Send(connection, 1, 2);
        net.RunToIdle();
        net.Network.Send(connection, 1, 3);
        net.RunToIdle();

        Assert.Equal([1, 2, 3], two.Messages.Cast<int>());
    }

    [Fact]
    public void Send_BurstLargerThanOneDrain_AllDeliveredInOrderAndOtherWorkRunsBetweenDrains()
    {
        // A receiver drains a bounded number of packets per turn of its loop and posts itself again for the rest.
        var (net, two, connection) = BurstWaitingForItsDrain(2_500);
        var deliveredBeforeOtherWork = -1;
        two.Loop.Post(() => deliveredBeforeOtherWork = two.Messages.Count);
        net.RunToIdle();

        Assert.Equal(Enumerable.Range(0, 2_500), two.Messages.Cast<int>());
        Assert.Equal(1_024, deliveredBeforeOtherWork);
        Assert.Equal(TimeSpan.Zero, net.Sim.Now);
    }

    [Fact]
    public void Faults_OnWhileABurstWaitsForItsDrain_LaterPacketStillLast()
    {
        var (net, two, connection) = BurstWaitingForItsDrain(2_500);

        // Active with no delay: the next packet takes the delayed path and is posted at once.
        net.Network.Faults = new NetworkFaults { DuplicateRate = 0.5 };
        net.Network.Send(connection, 1, 2_500);
        net.Network.Faults = NetworkFaults.None;
        net.Network.Send(connection, 1, 2_501);
        net.RunToIdle();

        Assert.Equal(Enumerable.Range(0, 2_502), two.Messages.Cast<int>());
    }

    [Fact]
    public void RandomizedRun_SameSeed_ProducesTheSameTrace()
    {
        var first = RandomizedTrace(seed: 7);
        var again = RandomizedTrace(seed: 7);
        var other = RandomizedTrace(seed: 8);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task Send_RealTimeLoops_DeliversInOrderAcrossThreads()
    {
        var network = new InMemoryNetwork(new Random(1));
        using var loopOne = new RealTimeEventLoop("node-1");
        using var loopTwo = new RealTimeEventLoop("node-2");
        const int count = 50_000;
        var received = new List<int>(count);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var two = new CallbackEndpoint(message =>
        {
            received.Add((int)message);
            if (received.Count == count)
            {
                done.SetResult();
            }
        });
        network.Attach(1, new CallbackEndpoint(_ => { }), loopOne);
        network.Attach(2, two, loopTwo);

        await loopOne.InvokeAsync(() =>
        {
            var connection = network.Connect(1, 2);
            for (var i = 0; i < count; i++)
            {
                network.Send(connection, 1, i);
            }
        });

        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(0, count), received);
    }

    /// <summary>Node 1 connected to node 2, and <paramref name="count"/> packets (0, 1, …) sent with no fault, not yet run.</summary>
    private static (SimNet Net, RecordingEndpoint Two, long Connection) BurstWaitingForItsDrain(int count)
    {
        var net = new SimNet(seed: 1);
        net.Add(1);
        var two = net.Add(2);
        var connection = net.Network.Connect(1, 2);
        net.RunToIdle();
        for (var i = 0; i < count; i++)
        {
            net.Network.Send(connection, 1, i);
        }

        return (net, two, connection);
    }

    /// <summary>Three nodes gossiping over datagrams and connections under every fault, then crashes.</summary>
    private static List<string> RandomizedTrace(int seed)
    {
        var net = new SimNet(seed, new NetworkFaults
        {
            Delay = Ms(1),
            Jitter = Ms(3),
            DropRate = 0.1,
            DuplicateRate = 0.1,
            ResetRate = 0.01,
        });
        var nodes = new[] { net.Add(1), net.Add(2), net.Add(3) };
        var connections = new Dictionary<(int, int), long>
        {
            [(1, 2)] = net.Network.Connect(1, 2),
            [(2, 3)] = net.Network.Connect(2, 3),
            [(1, 3)] = net.Network.Connect(3, 1),
        };
        var random = net.Sim.Random;
        for (var i = 0; i < 300; i++)
        {
            var from = random.Next(1, 4);
            var to = random.Next(1, 4);
            var at = Ms(random.Next(0, 100));
            var value = i;
            nodes[from - 1].Loop.Schedule(at, () =>
            {
                net.Network.SendDatagram(from, to, value);
                if (connections.TryGetValue((Math.Min(from, to), Math.Max(from, to)), out var connection))
                {
                    net.Network.Send(connection, from, value);
                }
            });
        }

        nodes[0].Loop.Schedule(Ms(50), () => net.Network.Partition([1], [2, 3]));
        nodes[1].Loop.Schedule(Ms(70), () => net.Network.Heal());
        nodes[2].Loop.Schedule(Ms(80), () => net.Network.Detach(3, crash: true));
        net.RunToIdle();
        return [.. nodes.SelectMany(n => n.Events), net.Network.Totals.ToString()];
    }

    /// <summary>A simulated ensemble's network: one scheduler, one loop per node.</summary>
    private sealed class SimNet
    {
        public SimNet(int seed, NetworkFaults? faults = null)
        {
            Sim = new SimulationScheduler(seed);
            Network = new InMemoryNetwork(Sim.Random, faults);
        }

        public SimulationScheduler Sim { get; }

        public InMemoryNetwork Network { get; }

        public RecordingEndpoint Add(int serverId)
        {
            var endpoint = new RecordingEndpoint(serverId, Sim.CreateLoop($"node-{serverId}"));
            Network.Attach(serverId, endpoint, endpoint.Loop);
            return endpoint;
        }

        /// <summary>Runs until nothing is left, failing if that takes absurdly long (a livelock).</summary>
        public void RunToIdle()
        {
            var start = Sim.Now;
            while (Sim.RunNext())
            {
                Assert.True(Sim.Now - start < Deadline, $"seed {Sim.Seed}: still busy after {Deadline}");
            }
        }
    }

    private sealed class CallbackEndpoint(Action<object> onMessage) : INetworkEndpoint
    {
        public void OnDatagram(int from, object message)
        {
        }

        public void OnConnected(long connectionId, int from)
        {
        }

        public void OnMessage(long connectionId, int from, object message) => onMessage(message);

        public void OnClosed(long connectionId, int peer)
        {
        }
    }
}
