using System.Diagnostics.Metrics;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Tests.Testing;

namespace QuorumPortal.Engine.Tests.Events;

public sealed class EnsembleEventStreamTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static EnsembleSnapshot Snapshot(string name, int round) => new()
    {
        Name = name,
        Backend = BackendKind.Embedded,
        Members = [new MemberSpec { ServerId = 1 }],
        Statuses = [new MemberStatus { ServerId = 1, ProbedAt = T0.AddSeconds(round), State = PeerState.Leading, Epoch = round }],
        TakenAt = T0.AddSeconds(round),
    };

    private static ThroughputSample Sample(string name, int i, int? serverId = null) =>
        new(name, T0.AddMilliseconds(i), i, i, 1, 2, TimeSpan.FromMilliseconds(1), serverId);

    private static HeartbeatObserved Beat(string name, int i, int serverId) =>
        new(name, T0.AddMilliseconds(i), serverId, PeerState.Following, T0.AddMilliseconds(i), 1);

    private static LeaderElected Elected(string name, int i) => new(name, T0.AddSeconds(i), i, i + 1, i, TimeSpan.FromMilliseconds(i));

    [Fact]
    public async Task Subscribe_AfterPublish_ReturnsSnapshotThenOnlyLaterEvents()
    {
        using var stream = new EnsembleEventStream("alpha");
        stream.Publish(Snapshot("alpha", 1), [Elected("alpha", 1)]);

        using var subscription = stream.Subscribe(CancellationToken.None);
        stream.Publish(Snapshot("alpha", 2), [new LeaderLost("alpha", T0, 2, 1)]);

        Assert.Equal(Snapshot("alpha", 1).TakenAt, subscription.Snapshot!.TakenAt);
        Assert.Equal(2, subscription.Current!.Epoch);
        var batch = await subscription.ReadBatchAsync();
        Assert.Equal([new LeaderLost("alpha", T0, 2, 1)], batch);
    }

    [Fact]
    public async Task ReadBatchesAsync_SeveralPublishesBeforeARead_ArriveAsOneBatchInOrder()
    {
        using var stream = new EnsembleEventStream("alpha");
        using var subscription = stream.Subscribe(CancellationToken.None);
        var published = Enumerable.Range(0, 5).Select(i => (EnsembleEvent)Elected("alpha", i)).ToList();
        foreach (var e in published)
        {
            stream.Publish(Snapshot("alpha", 1), [e]);
        }

        var batch = await subscription.ReadBatchAsync();

        Assert.Equal(published, batch);
        Assert.Equal(0, subscription.Pending);
    }

    [Fact]
    public async Task ReadBatchesAsync_NothingPublishedYet_WaitsForThePublish()
    {
        using var stream = new EnsembleEventStream("alpha");
        using var subscription = stream.Subscribe(CancellationToken.None);
        var read = subscription.ReadBatchAsync();
        Assert.False(read.IsCompleted);

        stream.Publish(Snapshot("alpha", 1), [new QuorumLost("alpha", T0, 1, 3)]);

        Assert.IsType<QuorumLost>(Assert.Single(await read));
    }

    [Fact]
    public async Task Publish_SubscriberNeverReads_DoesNotBlockKeepsLeaderChangesAndCoalescesSamples()
    {
        const int Samples = 100_000;
        using var stream = new EnsembleEventStream("alpha", sampleCapacity: 64);
        using var slow = stream.Subscribe(CancellationToken.None);
        var leaderChanges = new List<EnsembleEvent>();

        // Publish is synchronous: if it blocked on the full subscriber this would never finish.
        await Task.Run(() =>
        {
            for (var i = 0; i < Samples; i++)
            {
                EnsembleEvent sample = (i % 4) switch
                {
                    0 => Sample("alpha", i),
                    3 => Sample("alpha", i, serverId: 1),
                    var id => Beat("alpha", i, serverId: id),
                };
                stream.Publish(Snapshot("alpha", i), [sample]);
                if (i % 10_000 == 5_000)
                {
                    EnsembleEvent[] change = [new LeaderLost("alpha", T0.AddSeconds(i), i, i), Elected("alpha", i), new PeerStateChanged("alpha", T0, 2, PeerState.Looking, PeerState.Following, i)];
                    leaderChanges.AddRange(change);
                    stream.Publish(Snapshot("alpha", i), change);
                }
            }
        }).WaitAsync(SubscriptionExtensions.Patience);

        var batch = await slow.ReadBatchAsync();

        Assert.Equal(leaderChanges, batch.Where(e => !e.IsSample));
        var samples = batch.Where(e => e.IsSample).ToList();
        Assert.InRange(samples.Count, 1, 64);
        Assert.Equal(Samples - samples.Count, slow.DroppedSamples);
        Assert.Contains(Sample("alpha", Samples - 4), samples); // the newest of each kind survives
        Assert.Contains(Sample("alpha", Samples - 1, serverId: 1), samples);
        Assert.Contains(Beat("alpha", Samples - 2, serverId: 2), samples);
        Assert.Equal(Samples - 1, stream.Current!.Epoch);
    }

    [Fact]
    public async Task Publish_CapacityOfOne_KeepsOnlyTheNewestSample()
    {
        using var stream = new EnsembleEventStream("alpha", sampleCapacity: 1);
        using var subscription = stream.Subscribe(CancellationToken.None);

        stream.Publish(Snapshot("alpha", 1), [Sample("alpha", 1), Beat("alpha", 2, 1), new QuorumLost("alpha", T0, 1, 3), Beat("alpha", 3, 2)]);

        Assert.Equal([new QuorumLost("alpha", T0, 1, 3), Beat("alpha", 3, 2)], await subscription.ReadBatchAsync());
        Assert.Equal(2, subscription.DroppedSamples);
    }

    [Fact]
    public async Task Publish_SlowSubscriber_CountsDroppedSamplesOnTheMeter()
    {
        var ensemble = $"meter-{Guid.NewGuid():N}";
        long dropped = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "QuorumPortal.Engine.Events" && instrument.Name == "quorumportal.events.samples_dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "ensemble" && Equals(tag.Value, ensemble))
                {
                    Interlocked.Add(ref dropped, value);
                }
            }
        });
        listener.Start();

        using var stream = new EnsembleEventStream(ensemble, sampleCapacity: 10);
        using var subscription = stream.Subscribe(CancellationToken.None);
        for (var i = 0; i < 25; i++)
        {
            stream.Publish(Snapshot(ensemble, i), [Sample(ensemble, i)]);
        }

        Assert.Equal(15, subscription.DroppedSamples);
        Assert.Equal(15, Interlocked.Read(ref dropped));
        Assert.Equal(10, (await subscription.ReadBatchAsync()).Count);
    }

    [Fact]
    public async Task Dispose_Subscription_RemovesItAndEndsItsEnumeration()
    {
        using var stream = new EnsembleEventStream("alpha");
        var subscription = stream.Subscribe(CancellationToken.None);
        using var other = stream.Subscribe(CancellationToken.None);
        Assert.Equal(2, stream.SubscriberCount);
        var reading = Task.Run(async () =>
        {
            var batches = 0;
            await foreach (var _ in subscription.ReadBatchesAsync())
            {
                batches++;
            }

            return batches;
        });

        subscription.Dispose();

        Assert.Equal(0, await reading.WaitAsync(SubscriptionExtensions.Patience));
        Assert.Equal(1, stream.SubscriberCount);
        stream.Publish(Snapshot("alpha", 1), [Sample("alpha", 1)]);
        Assert.Equal(0, subscription.Pending);
    }

    [Fact]
    public void Subscribe_TokenCancelled_RemovesTheSubscription()
    {
        using var stream = new EnsembleEventStream("alpha");
        using var owner = new CancellationTokenSource();
        using var subscription = stream.Subscribe(owner.Token);
        Assert.Equal(1, stream.SubscriberCount);

        owner.Cancel();

        Assert.True(subscription.IsDisposed);
        Assert.Equal(0, stream.SubscriberCount);
    }

    [Fact]
    public async Task ReadBatchesAsync_ReaderBreaksOut_RemovesTheSubscription()
    {
        using var stream = new EnsembleEventStream("alpha");
        var subscription = stream.Subscribe(CancellationToken.None);
        stream.Publish(Snapshot("alpha", 1), [Elected("alpha", 1)]);

        await foreach (var _ in subscription.ReadBatchesAsync())
        {
            break;
        }

        Assert.Equal(0, stream.SubscriberCount);
    }

    [Fact]
    public async Task Publish_ManyConcurrentSubscribers_EachGetsEveryLeaderChangeInOrder()
    {
        const int Subscribers = 16;
        const int Changes = 200;
        using var stream = new EnsembleEventStream("alpha", sampleCapacity: 4);
        var subscriptions = Enumerable.Range(0, Subscribers).Select(_ => stream.Subscribe(CancellationToken.None)).ToList();
        var readers = subscriptions
            .Select(s => Task.Run(() => s.ReadUntilAsync(seen => seen.Count(e => e is LeaderElected) == Changes)))
            .ToList();

        var publisher = Task.Run(() =>
        {
            for (var i = 0; i < Changes; i++)
            {
                for (var j = 0; j < 50; j++)
                {
                    stream.Publish(Snapshot("alpha", i), [Sample("alpha", j), Beat("alpha", j, j % 5 + 1)]);
                }

                stream.Publish(Snapshot("alpha", i), [Elected("alpha", i)]);
            }
        });

        await publisher.WaitAsync(SubscriptionExtensions.Patience);
        var expected = Enumerable.Range(0, Changes).Select(i => Elected("alpha", i)).ToList();
        foreach (var seen in await Task.WhenAll(readers).WaitAsync(SubscriptionExtensions.Patience))
        {
            Assert.Equal(expected, seen.OfType<LeaderElected>());
        }

        foreach (var subscription in subscriptions)
        {
            subscription.Dispose();
        }

        Assert.Equal(0, stream.SubscriberCount);
    }

    [Fact]
    public void Dispose_Stream_EndsSubscriptionsAndRefusesNewOnes()
    {
        var stream = new EnsembleEventStream("alpha");
        var subscription = stream.Subscribe(CancellationToken.None);

        stream.Dispose();

        Assert.True(subscription.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => stream.Subscribe(CancellationToken.None));
    }
}
