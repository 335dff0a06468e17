namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>Waits for a condition outside any rendered component (bUnit's waits re-check only on renders).</summary>
internal static class Eventually
{
    private static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reads until <paramref name="condition"/> holds or <paramref name="timeout"/> passes, then throws naming
    /// <paramref name="what"/> and the last value. The 50 ms pause only paces the reads; the wait is on the condition.
    /// </summary>
    public static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        T last = default!;
        while (!deadline.IsCancellationRequested)
        {
            last = await read();
            if (condition(last))
            {
                return last;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        throw new TimeoutException($"{what} did not happen within {timeout}; last seen: {System.Text.Json.JsonSerializer.Serialize(last, PortalFactory.JsonOptions)}");
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; the poll interval only paces the checks.</summary>
    public static async Task Until(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Default);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {timeout ?? Default}: {what}");
            }

            await Task.Delay(5);
        }
    }
}
