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
