namespace QuorumPortal.Portal.Hubs;

/// <summary>The hub's settings, bound from <c>Portal:Hub</c>.</summary>
public sealed class EnsembleHubOptions
{
    public const string SectionName = "Portal:Hub";

    public const int MaxPendingBatchesLimit = 100_000;

    /// <summary>
    /// Batches a connection may have waiting behind a write that has not completed (its transport buffer is full)
    /// before the hub disconnects it. Default 256; between 1 and 100,000.
    /// </summary>
    public int MaxPendingBatches { get; set; } = 256;
}
