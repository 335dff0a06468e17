using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.History;

namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>Base of the component tests: a <see cref="DashboardContext"/> and the stream of an ensemble named "alpha".</summary>
public abstract class DashboardTest : IAsyncDisposable
{
    protected static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    protected DashboardContext Context { get; } = new();

    /// <summary>The "alpha" stream, created on first use (and followed by the history from then on).</summary>
    protected EnsembleEventStream Stream => Context.Streams.GetOrAdd("alpha");

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>The shared history of <paramref name="ensemble"/>, which must have a stream.</summary>
    protected EnsembleHistory HistoryOf(string ensemble)
    {
        Assert.True(Context.Histories.TryGet(ensemble, out var history));
        return history;
    }
}
