using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;

namespace QuorumPortal.Engine.Tests.Monitoring;

public sealed class EnsembleRegistryTests : IDisposable
{
    private readonly EnsembleEventStreams _streams = new();

    public void Dispose() => _streams.Dispose();

    [Fact]
    public async Task AddAsync_SameNameTwice_SecondRefusedAndDisposedByCaller()
    {
        await using var registry = NewRegistry();
        await registry.AddAsync(new EmbeddedEnsemble(EnsembleSpec.OfSize("one", 1, EnsembleSettings.Fast)), CancellationToken.None);
        await using var duplicate = new EmbeddedEnsemble(EnsembleSpec.OfSize("one", 1, EnsembleSettings.Fast));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => registry.AddAsync(duplicate, CancellationToken.None));

        Assert.Contains("already registered", error.Message, StringComparison.Ordinal);
        Assert.Single(registry.Ensembles);
    }

    [Fact]
    public async Task StopAsync_Running_MonitorsAndMembersStoppedAndAddsRefused()
    {
        var registry = NewRegistry();
        var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("two", 3, EnsembleSettings.Fast));
        var registered = await registry.AddAsync(ensemble, CancellationToken.None);
        Assert.True(registered.Monitor.IsRunning);
        Assert.True(ensemble.IsRunning(1));

        await registry.StopAsync(CancellationToken.None);

        Assert.False(registered.Monitor.IsRunning);
        Assert.All([1, 2, 3], id => Assert.False(ensemble.IsRunning(id)));
        Assert.Empty(registry.Ensembles);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => registry.AddAsync(new EmbeddedEnsemble(EnsembleSpec.OfSize("late", 1)), CancellationToken.None));
    }

    private EnsembleRegistry NewRegistry() =>
        new(_streams, new EnsembleMonitorOptions(), TimeProvider.System, NullLoggerFactory.Instance);
}
