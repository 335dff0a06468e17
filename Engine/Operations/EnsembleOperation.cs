using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Operations;

/// <summary>The ensemble an operation is checked against: its backend and how it was probed just now.</summary>
public sealed record OperationTarget(IEnsembleBackend Backend, EnsembleSnapshot Snapshot);

/// <summary>
/// A change to one ensemble: a preflight that says what will happen and refuses what must not, then named steps
/// run through an <see cref="OperationContext"/> that records them and undoes completed ones on failure.
/// Run through <see cref="OperationCoordinator"/>, which allows one operation per ensemble at a time.
/// </summary>
public abstract class EnsembleOperation
{
    public abstract OperationKind Kind { get; }

    /// <summary>What an operator would call it, e.g. "Expand to 5".</summary>
    public abstract string Title { get; }

    /// <summary>The parameters by name, as the audit log shows them.</summary>
    public abstract IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>Checks the operation against the ensemble as it is now. Changes nothing.</summary>
    public abstract Task<PreflightReport> PreflightAsync(OperationTarget target, CancellationToken cancellationToken);

    /// <summary>Runs the steps; returns the one-line outcome. Throw to fail: the context undoes what it can.</summary>
    protected internal abstract Task<string> ExecuteAsync(OperationContext context);
}

/// <summary>A step failed for a reason an operator can read; the message says what happened and what state it left.</summary>
public sealed class OperationFailedException(string message, Exception? innerException = null) : Exception(message, innerException);
