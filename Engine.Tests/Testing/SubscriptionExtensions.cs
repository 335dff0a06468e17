using QuorumPortal.Engine.Events;

namespace QuorumPortal.Engine.Tests.Testing;

internal static class SubscriptionExtensions
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>Reads batches until <paramref name="done"/> holds for everything read so far; fails after <see cref="Patience"/>.</summary>
    public static async Task<List<EnsembleEvent>> ReadUntilAsync(this EnsembleSubscription subscription, Func<IReadOnlyList<EnsembleEvent>, bool> done)
    {
        var seen = new List<EnsembleEvent>();
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await foreach (var batch in subscription.ReadBatchesAsync(timeout.Token))
            {
                Assert.NotEmpty(batch);
                seen.AddRange(batch);
                if (done(seen))
                {
                    return seen;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Assert.Fail($"Timed out after {Patience}; read {seen.Count} events: {string.Join(", ", seen.Select(e => e.Kind))}");
        }

        Assert.Fail($"The subscription ended; read {seen.Count} events: {string.Join(", ", seen.Select(e => e.Kind))}");
        return seen;
    }

    /// <summary>Reads the next batch; fails after <see cref="Patience"/>.</summary>
    public static async Task<IReadOnlyList<EnsembleEvent>> ReadBatchAsync(this EnsembleSubscription subscription)
    {
        var all = await subscription.ReadUntilAsync(_ => true);
        return all;
    }
}
