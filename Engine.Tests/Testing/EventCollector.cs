using QuorumPortal.Engine.Events;

namespace QuorumPortal.Engine.Tests.Testing;

/// <summary>
/// Reads one subscription for the whole test (a subscription ends when its reader stops) and lets the
/// test wait, more than once, for a condition over everything seen so far.
/// </summary>
internal sealed class EventCollector : IAsyncDisposable
{
    private readonly List<EnsembleEvent> _seen = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EventCollector(EnsembleSubscription subscription)
    {
        _reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in subscription.ReadBatchesAsync(_stop.Token))
                {
                    TaskCompletionSource changed;
                    lock (_seen)
                    {
                        _seen.AddRange(batch);
                        changed = _changed;
                        _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                    }

                    changed.TrySetResult();
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    /// <summary>Waits until <paramref name="done"/> holds for the events seen after <paramref name="from"/>; returns them.</summary>
    public async Task<List<EnsembleEvent>> WaitForAsync(Func<IReadOnlyList<EnsembleEvent>, bool> done, int from = 0)
    {
        using var timeout = new CancellationTokenSource(SubscriptionExtensions.Patience);
        while (true)
        {
            Task changed;
            lock (_seen)
            {
                var window = _seen.Skip(from).ToList();
                if (done(window))
                {
                    return window;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                lock (_seen)
                {
                    Assert.Fail($"Timed out after {SubscriptionExtensions.Patience}; saw {string.Join(", ", _seen.Skip(from).Select(e => e.Kind))}");
                }
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_seen)
            {
                return _seen.Count;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reader;
        _stop.Dispose();
    }
}
