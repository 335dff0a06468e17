namespace QuorumPortal.Portal.Hubs;

/// <summary>
/// What the hub calls on a client of <see cref="EnsembleHub"/>. One method for every kind of event: the Engine
/// hands out batches (one probe round is typically several events), so a client gets them in one message, in
/// publish order, and dispatches on each event's <c>kind</c> itself.
/// </summary>
public interface IEnsembleClient
{
    /// <summary>Events of one joined ensemble, in the order they were published.</summary>
    Task EventsReceived(EnsembleEventBatchDto batch);
}
