using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Operations;

/// <summary>
/// What a running operation sees: its backend, the snapshot its preflight passed on, and the means to run named
/// steps (each recorded with its time and detail), register how to undo a step, and record measurements.
/// </summary>
public sealed class OperationContext
{
    private readonly Action<Func<OperationRecord, OperationRecord>> _update;
    private readonly Stack<(string Name, Func<CancellationToken, Task> Undo)> _undo = new();

    internal OperationContext(
        IEnsembleBackend backend,
        EnsembleSnapshot initial,
        TimeProvider time,
        Action<Func<OperationRecord, OperationRecord>> update,
        CancellationToken cancellationToken)
    {
        Backend = backend;
        Initial = initial;
        Time = time;
        _update = update;
        CancellationToken = cancellationToken;
    }

    public IEnsembleBackend Backend { get; }

    /// <summary>The ensemble as probed for the preflight.</summary>
    public EnsembleSnapshot Initial { get; }

    public TimeProvider Time { get; }

    /// <summary>Cancelled when the portal stops; not when a browser closes.</summary>
    public CancellationToken CancellationToken { get; }

    internal IReadOnlyCollection<(string Name, Func<CancellationToken, Task> Undo)> UndoStack => _undo;

    /// <summary>
    /// Runs one named step: marks it running, runs <paramref name="body"/> (which may report progress), and marks
    /// it succeeded with the detail it returned, or failed with the exception's message (then rethrows).
    /// </summary>
    public async Task StepAsync(string name, Func<Action<string>, CancellationToken, Task<string?>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var started = Time.GetUtcNow();
        _update(r => r with { Steps = SetStep(r.Steps, name, s => s with { State = StepState.Running, StartedAt = started, Detail = null }) });
        try
        {
            var detail = await body(progress => _update(r => r with { Steps = SetStep(r.Steps, name, s => s with { Detail = progress }) }), CancellationToken).ConfigureAwait(false);
            var ended = Time.GetUtcNow();
            _update(r => r with { Steps = SetStep(r.Steps, name, s => s with { State = StepState.Succeeded, EndedAt = ended, Detail = detail ?? s.Detail }) });
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            // The portal is stopping: the step stays running, and the operation is reported interrupted there.
            throw;
        }
        catch (Exception ex)
        {
            var ended = Time.GetUtcNow();
            _update(r => r with { Steps = SetStep(r.Steps, name, s => s with { State = StepState.Failed, EndedAt = ended, Detail = ex.Message }) });
            throw;
        }
    }

    /// <summary>A step without progress reports.</summary>
    public Task StepAsync(string name, Func<CancellationToken, Task<string?>> body) => StepAsync(name, (_, ct) => body(ct));

    /// <summary>If a later step fails, <paramref name="undo"/> runs (newest first) as a step named "Undo: <paramref name="name"/>".</summary>
    public void OnFailureUndo(string name, Func<CancellationToken, Task> undo) => _undo.Push((name, undo));

    /// <summary>Drops the undo actions registered so far: what they would undo is now meant to stay.</summary>
    public void CommitUndo() => _undo.Clear();

    public void Measure(string name, double value) =>
        _update(r => r with { Measurements = new Dictionary<string, double>(r.Measurements) { [name] = value } });

    /// <summary>Probes until <paramref name="condition"/> holds; after <paramref name="timeout"/>, fails saying what did not happen and the members' states.</summary>
    public async Task<EnsembleSnapshot> WaitForAsync(Func<EnsembleSnapshot, bool> condition, TimeSpan timeout, string what)
    {
        try
        {
            return await Backend.WaitForAsync(condition, timeout, CancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new OperationFailedException($"{what} did not happen within {timeout.TotalSeconds:0.#} s. {ex.Message}", ex);
        }
    }

    /// <summary>How long to wait for a member to catch up: ZooKeeper gives a learner initLimit ticks to sync; allow three times that, at least 30 s.</summary>
    public TimeSpan CatchUpTimeout => Max(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(3.0 * Backend.Settings.InitLimit * Backend.Settings.TickTime));

    /// <summary>How long to wait for a leader after one is lost: an election plus a sync, generously.</summary>
    public TimeSpan ElectionTimeout => Max(TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(2.0 * (Backend.Settings.InitLimit + Backend.Settings.SyncLimit) * Backend.Settings.TickTime));

    internal static IReadOnlyList<OperationStep> SetStep(IReadOnlyList<OperationStep> steps, string name, Func<OperationStep, OperationStep> change)
    {
        // The first step of that name not yet finished; a step the plan did not list is appended.
        var list = steps.ToList();
        var index = list.FindIndex(s => s.Name == name && s.State is StepState.Pending or StepState.Running);
        if (index < 0)
        {
            list.Add(change(new OperationStep(name)));
        }
        else
        {
            list[index] = change(list[index]);
        }

        return list;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
