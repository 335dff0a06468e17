using QuorumPortal.Engine.Operations;

namespace QuorumPortal.Engine.Events;

/// <summary>An operation on the ensemble started, moved to another step, or ended; <paramref name="Operation"/> is its whole record now.</summary>
public sealed record OperationProgressed(
    string Ensemble,
    DateTimeOffset Timestamp,
    OperationRecord Operation) : EnsembleEvent(Ensemble, Timestamp)
{
    public override EnsembleEventKind Kind => EnsembleEventKind.OperationProgressed;
}
