namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>Waits for a condition outside any rendered component (bUnit's waits re-check only on renders).</summary>
internal static class Eventually
{
    private static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

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
