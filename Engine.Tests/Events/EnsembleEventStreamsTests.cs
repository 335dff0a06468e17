using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Engine.Tests.Events;

public sealed class EnsembleEventStreamsTests
{
    [Fact]
    public void GetOrAdd_SameName_ReturnsTheSameStream()
    {
        using var streams = new EnsembleEventStreams();

        var first = streams.GetOrAdd("alpha");

        Assert.Same(first, streams.GetOrAdd("alpha"));
        Assert.NotSame(first, streams.GetOrAdd("beta"));
        Assert.True(streams.TryGet("alpha", out var found));
        Assert.Same(first, found);
        Assert.Equal(["alpha", "beta"], streams.Ensembles.Order());
    }

    [Fact]
    public void Remove_Ensemble_EndsItsSubscriptions()
    {
        using var streams = new EnsembleEventStreams();
        var subscription = streams.Subscribe("alpha", CancellationToken.None);

        Assert.True(streams.Remove("alpha"));

        Assert.True(subscription.IsDisposed);
        Assert.False(streams.TryGet("alpha", out _));
        Assert.False(streams.Remove("alpha"));
    }

    [Fact]
    public async Task StreamAdded_ConcurrentGetOrAdd_RaisedOncePerStreamBeforeItIsReturned()
    {
        using var streams = new EnsembleEventStreams();
        var added = new System.Collections.Concurrent.ConcurrentBag<string>();
        var subscriptions = new System.Collections.Concurrent.ConcurrentBag<EnsembleSubscription>();
        streams.StreamAdded += stream =>
        {
            added.Add(stream.Ensemble);
            subscriptions.Add(stream.Subscribe(CancellationToken.None));
        };

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => streams.GetOrAdd(i % 2 == 0 ? "alpha" : "beta"))));
        streams.GetOrAdd("alpha").Publish([new LeaderLost("alpha", DateTimeOffset.UnixEpoch, 1, 1)]);

        Assert.Equal(["alpha", "beta"], added.Order());
        Assert.Single(subscriptions, s => s.TryReadBatch(out var batch) && batch.Single() is LeaderLost);
    }

    [Fact]
    public void GetOrAdd_NewStream_StreamAddedOnceBeforeFirstPublish()
    {
        using var streams = new EnsembleEventStreams();
        var added = new List<EnsembleEventStream>();
        EnsembleSubscription? early = null;
        streams.StreamAdded += stream =>
        {
            added.Add(stream);
            early = stream.Subscribe(CancellationToken.None);
        };

        var alpha = streams.GetOrAdd("alpha");
        streams.GetOrAdd("alpha");
        var snapshot = new EnsembleSnapshot { Name = "alpha", Backend = BackendKind.Embedded, Members = [], Statuses = [], TakenAt = DateTimeOffset.UnixEpoch };
        alpha.Publish(snapshot, [new QuorumLost("alpha", DateTimeOffset.UnixEpoch, 0, 3)]);

        Assert.Same(alpha, Assert.Single(added));
        Assert.True(early!.TryReadBatch(out var batch));
        Assert.IsType<QuorumLost>(Assert.Single(batch));
    }
}
