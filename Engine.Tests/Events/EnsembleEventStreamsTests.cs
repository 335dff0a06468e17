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
}
