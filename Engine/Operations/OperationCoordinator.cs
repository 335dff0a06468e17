using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Engine.Operations;

/// <summary>Whether <see cref="OperationCoordinator.StartAsync"/> started the operation.</summary>
public enum OperationStartStatus
{
    Started,

    /// <summary>Another operation runs on the ensemble; nothing was changed.</summary>
    Busy,

    /// <summary>Preflight found an error; nothing was changed.</summary>
    Refused,
}

/// <summary>
/// The answer to a start: the record as saved (running, or refused with the reason) and a task that completes
/// with the final record. The operation runs on the coordinator's time, not the caller's: cancelling the
/// caller's token (a browser closing) does not stop it.
/// </summary>
public sealed record OperationStart(OperationStartStatus Status, OperationRecord Record, Task<OperationRecord> Completion)
{
    public bool Started => Status == OperationStartStatus.Started;

    /// <summary>For a refusal, why, in words an operator can act on.</summary>
    public string? Message => Record.Error;
}

/// <summary>
/// Runs operations, one per ensemble at a time: preflight against a fresh probe, then the steps in the background,
/// each change saved to the <see cref="IOperationJournal"/>, raised as <see cref="Changed"/> and published to the
/// ensemble's event stream as <see cref="OperationProgressed"/>. On failure the completed steps are undone,
/// newest first. At dispose, running operations are cancelled and end <see cref="OperationState.Interrupted"/>.
/// </summary>
public sealed partial class OperationCoordinator : IAsyncDisposable
{
    private readonly IOperationJournal _journal;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EnsembleEventStreams? _streams;
    private readonly ConcurrentDictionary<string, RunningOperation> _inFlight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _disposing;

    public OperationCoordinator(IOperationJournal journal, TimeProvider timeProvider, ILogger<OperationCoordinator> logger, EnsembleEventStreams? streams = null)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _journal = journal;
        _time = timeProvider;
        _logger = logger;
        _streams = streams;
    }

    /// <summary>Raised after every change of any operation's record (on the thread that changed it).</summary>
    public event Action<OperationRecord>? Changed;

    public IOperationJournal Journal => _journal;

    /// <summary>The operation running on <paramref name="ensemble"/>, if any.</summary>
    public OperationRecord? InFlight(string ensemble) => _inFlight.TryGetValue(ensemble, out var running) ? running.Record : null;

    /// <summary>An operation by id: the live record if it runs, else the journal's.</summary>
    public async Task<OperationRecord?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        _inFlight.Values.FirstOrDefault(r => r.Record.Id == id)?.Record ?? await _journal.GetAsync(id, cancellationToken).ConfigureAwait(false);

    /// <summary>Every operation running now.</summary>
    public IReadOnlyList<OperationRecord> Running => [.. _inFlight.Values.Select(r => r.Record)];

    /// <summary>Checks <paramref name="operation"/> against the ensemble as probed now, without starting it.</summary>
    public async Task<PreflightReport> PreflightAsync(IEnsembleBackend backend, EnsembleOperation operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(operation);
        var snapshot = await backend.ProbeSnapshotAsync(_time, cancellationToken).ConfigureAwait(false);
        var report = await operation.PreflightAsync(new OperationTarget(backend, snapshot), cancellationToken).ConfigureAwait(false);
        if (_inFlight.TryGetValue(backend.Name, out var running))
        {
            report = report with { Checks = [.. report.Checks, PreflightCheck.Error("busy", BusyMessage(running.Record))] };
        }

        return report;
    }

    /// <summary>
    /// Starts <paramref name="operation"/> unless another runs on the ensemble (<see cref="OperationStartStatus.Busy"/>)
    /// or its preflight finds an error (<see cref="OperationStartStatus.Refused"/>); refusals are journaled too.
    /// </summary>
    public async Task<OperationStart> StartAsync(IEnsembleBackend backend, EnsembleOperation operation, OperationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);

        var record = new OperationRecord
        {
            Id = Guid.NewGuid(),
            Ensemble = backend.Name,
            Kind = operation.Kind,
            Title = operation.Title,
            Parameters = operation.Parameters,
            RequestedBy = request.RequestedBy,
            Reason = request.Reason,
            StartedAt = _time.GetUtcNow(),
        };

        var running = new RunningOperation(record, CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
        if (!_inFlight.TryAdd(backend.Name, running))
        {
            running.Dispose();
            var busy = _inFlight.TryGetValue(backend.Name, out var other) ? BusyMessage(other.Record) : $"busy: another operation runs on {backend.Name}";
            return await RefuseAsync(record, OperationStartStatus.Busy, busy, [], cancellationToken).ConfigureAwait(false);
        }

        PreflightReport report;
        EnsembleSnapshot snapshot;
        try
        {
            snapshot = await backend.ProbeSnapshotAsync(_time, cancellationToken).ConfigureAwait(false);
            report = await operation.PreflightAsync(new OperationTarget(backend, snapshot), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Release(backend.Name, running);
            throw;
        }

        if (!report.CanProceed)
        {
            Release(backend.Name, running);
            return await RefuseAsync(record with { Steps = [.. report.Steps.Select(s => new OperationStep(s))] }, OperationStartStatus.Refused, report.ErrorSummary, report.Checks, cancellationToken).ConfigureAwait(false);
        }

        running.Record = record with { Preflight = report.Checks, Steps = [.. report.Steps.Select(s => new OperationStep(s))] };
        await SaveAsync(running.Record, CancellationToken.None).ConfigureAwait(false);
        Announce(running.Record);
        LogStarted(_logger, record.Title, record.Ensemble, record.RequestedBy, record.Id);

        var context = new OperationContext(backend, snapshot, _time, change => Update(running, change), running.Cancellation.Token);
        running.Completion = Task.Run(() => RunAsync(backend.Name, running, operation, context), CancellationToken.None);
        return new OperationStart(OperationStartStatus.Started, running.Record, running.Completion);
    }

    /// <summary>
    /// Marks every operation the journal still has as running — left so by a portal that stopped mid-operation —
    /// as <see cref="OperationState.Interrupted"/> at the step it reached. Returns them.
    /// </summary>
    public async Task<IReadOnlyList<OperationRecord>> RecoverInterruptedAsync(CancellationToken cancellationToken)
    {
        var unfinished = await _journal.ListUnfinishedAsync(cancellationToken).ConfigureAwait(false);
        var recovered = new List<OperationRecord>();
        foreach (var record in unfinished.Where(r => !_inFlight.Values.Any(x => x.Record.Id == r.Id)))
        {
            var interrupted = Interrupt(record, "the portal stopped");
            await _journal.SaveAsync(interrupted, cancellationToken).ConfigureAwait(false);
            recovered.Add(interrupted);
            LogInterrupted(_logger, record.Title, record.Ensemble, interrupted.CurrentStep?.Name ?? "(none)");
        }

        return recovered;
    }

    /// <summary>Cancels running operations and waits until each has ended and is journaled; every caller waits for the same end.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_inFlight)
        {
            _disposing ??= DisposeCoreAsync();
        }

        return new ValueTask(_disposing);
    }

    private async Task DisposeCoreAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_inFlight.Values.Select(r => r.Completion)).ConfigureAwait(false);
    }

    internal static string BusyMessage(OperationRecord running) =>
        $"busy: {running.Title} since {running.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC" +
        (running.CurrentStep is { } step ? $" (at step '{step.Name}')" : string.Empty);

    private async Task<OperationRecord> RunAsync(string ensemble, RunningOperation running, EnsembleOperation operation, OperationContext context)
    {
        try
        {
            var outcome = await operation.ExecuteAsync(context).ConfigureAwait(false);
            Update(running, r => r with { State = OperationState.Succeeded, Outcome = outcome, EndedAt = _time.GetUtcNow() });
            LogSucceeded(_logger, running.Record.Title, ensemble, outcome);
        }
        catch (OperationCanceledException) when (running.Cancellation.IsCancellationRequested)
        {
            Update(running, r => Interrupt(r, "the portal stopped"));
            LogInterrupted(_logger, running.Record.Title, ensemble, running.Record.CurrentStep?.Name ?? "(none)");
        }
        catch (Exception ex)
        {
            await FailAsync(running, context, ex).ConfigureAwait(false);
        }
        finally
        {
            await running.FlushAsync(_journal).ConfigureAwait(false);
            Release(ensemble, running);
        }

        return running.Record;
    }

    private async Task FailAsync(RunningOperation running, OperationContext context, Exception failure)
    {
        LogFailed(_logger, failure, running.Record.Title, running.Record.Ensemble);
        var undoFailures = new List<string>();
        var undone = 0;
        foreach (var (name, undo) in context.UndoStack.ToList())
        {
            // Undo runs even while the portal stops: a half-added member is worse than a slower shutdown.
            var stepName = "Undo: " + name;
            var started = _time.GetUtcNow();
            Update(running, r => r with { Steps = OperationContext.SetStep(r.Steps, stepName, s => s with { State = StepState.Running, StartedAt = started }) });
            try
            {
                await undo(CancellationToken.None).ConfigureAwait(false);
                undone++;
                Update(running, r => r with { Steps = OperationContext.SetStep(r.Steps, stepName, s => s with { State = StepState.Succeeded, EndedAt = _time.GetUtcNow() }) });
            }
            catch (Exception ex)
            {
                undoFailures.Add($"{name}: {ex.Message}");
                Update(running, r => r with { Steps = OperationContext.SetStep(r.Steps, stepName, s => s with { State = StepState.Failed, EndedAt = _time.GetUtcNow(), Detail = ex.Message }) });
            }
        }

        var rolledBack = undone > 0 && undoFailures.Count == 0;
        var error = failure.Message +
            (rolledBack ? " Every completed step was undone; the ensemble is as it was before." : string.Empty) +
            (undoFailures.Count > 0 ? " Undo failed too — check the ensemble: " + string.Join("; ", undoFailures) : string.Empty);
        Update(running, r => r with
        {
            State = rolledBack ? OperationState.RolledBack : OperationState.Failed,
            Error = error,
            EndedAt = _time.GetUtcNow(),
            Steps = [.. r.Steps.Select(s => s.State == StepState.Pending ? s with { State = StepState.Skipped } : s)],
        });
    }

    private OperationRecord Interrupt(OperationRecord record, string why)
    {
        var step = record.CurrentStep;
        return record with
        {
            State = OperationState.Interrupted,
            EndedAt = _time.GetUtcNow(),
            Error = $"Interrupted: {why} while the operation was at step '{step?.Name ?? "(none)"}'. Nothing was undone; the ensemble's page shows its actual state.",
            Steps = [.. record.Steps.Select(s => s.State == StepState.Running ? s with { State = StepState.Interrupted } : s)],
        };
    }

    private async Task<OperationStart> RefuseAsync(OperationRecord record, OperationStartStatus status, string why, IReadOnlyList<PreflightCheck> checks, CancellationToken cancellationToken)
    {
        var refused = record with { State = OperationState.Refused, Error = why, Preflight = checks, EndedAt = record.StartedAt };
        await SaveAsync(refused, cancellationToken).ConfigureAwait(false);
        Changed?.Invoke(refused);
        LogRefused(_logger, record.Title, record.Ensemble, why);
        return new OperationStart(status, refused, Task.FromResult(refused));
    }

    private void Update(RunningOperation running, Func<OperationRecord, OperationRecord> change)
    {
        OperationRecord updated;
        lock (running)
        {
            updated = change(running.Record);
            running.Record = updated;
        }

        running.QueueSave(_journal, updated);
        Announce(updated);
    }

    private void Announce(OperationRecord record)
    {
        _streams?.GetOrAdd(record.Ensemble).Publish([new OperationProgressed(record.Ensemble, _time.GetUtcNow(), record)]);
        Changed?.Invoke(record);
    }

    private Task SaveAsync(OperationRecord record, CancellationToken cancellationToken) => _journal.SaveAsync(record, cancellationToken);

    private void Release(string ensemble, RunningOperation running)
    {
        _inFlight.TryRemove(new KeyValuePair<string, RunningOperation>(ensemble, running));
        running.Dispose();
    }

    [LoggerMessage(1, LogLevel.Information, "Operation '{Title}' on {Ensemble} started by {RequestedBy} ({Id})")]
    private static partial void LogStarted(ILogger logger, string title, string ensemble, string requestedBy, Guid id);

    [LoggerMessage(2, LogLevel.Information, "Operation '{Title}' on {Ensemble} succeeded: {Outcome}")]
    private static partial void LogSucceeded(ILogger logger, string title, string ensemble, string outcome);

    [LoggerMessage(3, LogLevel.Warning, "Operation '{Title}' on {Ensemble} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string title, string ensemble);

    [LoggerMessage(4, LogLevel.Warning, "Operation '{Title}' on {Ensemble} interrupted at step '{Step}'")]
    private static partial void LogInterrupted(ILogger logger, string title, string ensemble, string step);

    [LoggerMessage(5, LogLevel.Information, "Operation '{Title}' on {Ensemble} refused: {Why}")]
    private static partial void LogRefused(ILogger logger, string title, string ensemble, string why);
}
