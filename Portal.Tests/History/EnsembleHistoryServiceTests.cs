using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.History;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.History;

public sealed class EnsembleHistoryServiceTests : IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly EnsembleEventStreams _streams = new();
    private readonly EnsembleHistoryService _service;

    public EnsembleHistoryServiceTests()
    {
        _service = new EnsembleHistoryService(_streams, TimeProvider.System, NullLogger<EnsembleHistoryService>.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        _streams.Dispose();
    }

    [Fact]
    public async Task StreamCreatedLater_FirstRound_KeptInTheHistory()
    {
        await _service.StartAsync(CancellationToken.None);
        var changed = 0;
        _service.EnsemblesChanged += () => Interlocked.Increment(ref changed);

        // As the registry does: create the stream, then the monitor publishes its first round at once.
        _streams.GetOrAdd("alpha").Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), [new LeaderElected("alpha", T0, null, 1, 1, null)]);

        Assert.True(_service.TryGet("alpha", out var history));
        await Eventually.Until(() => history.Cut().Elections.Count == 1, "the first round's election is kept");
        await Eventually.Until(() => Volatile.Read(ref changed) >= 1, "the ensemble is announced");
        Assert.Equal(["alpha"], _service.Ensembles);
    }

    [Fact]
    public async Task TryGet_StreamCreatedBeforeTheService_FollowedOnDemand()
    {
        using var streams = new EnsembleEventStreams();
        streams.GetOrAdd("early").Publish(Snapshots.Of("early", T0, leader: 1, epoch: 1), []);
        await using var service = new EnsembleHistoryService(streams, TimeProvider.System, NullLogger<EnsembleHistoryService>.Instance);

        Assert.True(service.TryGet("early", out var history));
        Assert.Equal("early", history.Name);
        Assert.Equal(["early"], service.Ensembles);
        Assert.False(service.TryGet("missing", out _));
        Assert.False(streams.TryGet("missing", out _));
    }

    [Fact]
    public void Scan_StreamRemoved_EnsembleForgotten()
    {
        _streams.GetOrAdd("alpha").Publish(Snapshots.Of("alpha", T0, leader: 1, epoch: 1), []);
        _service.Scan();
        Assert.Equal(["alpha"], _service.Ensembles);

        _streams.Remove("alpha");
        _service.Scan();

        Assert.Empty(_service.Ensembles);
        Assert.False(_service.TryGet("alpha", out _));
    }

    [Fact]
    public async Task Stop_FollowLoops_End()
    {
        var stream = _streams.GetOrAdd("alpha");
        Assert.Equal(1, stream.SubscriberCount);

        await _service.StopAsync(CancellationToken.None);

        await Eventually.Until(() => stream.SubscriberCount == 0, "the history's subscription ended");
    }
}
