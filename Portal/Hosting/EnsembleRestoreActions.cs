using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Data;

namespace QuorumPortal.Portal.Hosting;

public enum RestoreActionStatus
{
    Succeeded,

    /// <summary>Tried and failed; the error says why.</summary>
    Failed,

    /// <summary>Not tried (another action on the ensemble runs, it runs already, it is no longer listed); nothing was done.</summary>
    Refused,
}

/// <summary>The outcome of an action on an ensemble that failed to come back, worded for the operator.</summary>
public sealed record RestoreActionResult(RestoreActionStatus Status, string Message);

/// <summary>
/// What an operator can do with an ensemble of <see cref="EnsembleRestoreFailures"/>: try again to bring it back
/// (<see cref="RetryAsync"/>), or forget it (<see cref="ForgetAsync"/>: out of the catalog, nothing on disk touched).
/// One action per ensemble at a time; every action, refused ones included, goes to the audit log.
/// </summary>
public sealed partial class EnsembleRestoreActions(
    EnsembleRestoreFailures failures,
    EnsembleLauncher launcher,
    EnsembleRegistry registry,
    IEnsembleCatalog catalog,
    AuditLog audit,
    TimeProvider timeProvider,
    ILogger<EnsembleRestoreActions> logger)
{
    /// <summary>The audit log's action for an ensemble removed from the catalog without having come back.</summary>
    public const string ForgetAction = "ForgetEnsemble";

    private const string RetryReason = "tried again from the overview";
    private const string ForgetReason = "forgotten from the overview";

    /// <summary>
    /// Launches the ensemble again as the catalog has it. On success it leaves the list (and shows as running); on
    /// failure its entry gets the new error and time. Refused while another action on it runs, or when it runs already.
    /// </summary>
    /// <param name="actor">Who asks, for the audit log.</param>
    public Task<RestoreActionResult> RetryAsync(string name, string actor, CancellationToken cancellationToken) =>
        RunAsync(name, actor, EnsembleHostedService.RestoreAction, RetryReason, $"A retry by {actor}", f => RetryAsync(f, actor, cancellationToken), cancellationToken);

    /// <summary>
    /// Removes the ensemble from the catalog, so no start tries it again, and from the list. Its data directory (or
    /// the attached ensemble) is left as it is. Refused while another action on it runs, or when it runs.
    /// </summary>
    /// <param name="actor">Who asks, for the audit log.</param>
    public Task<RestoreActionResult> ForgetAsync(string name, string actor, CancellationToken cancellationToken) =>
        RunAsync(name, actor, ForgetAction, ForgetReason, $"Forgetting by {actor}", f => ForgetAsync(f, actor, cancellationToken), cancellationToken);

    /// <summary>What forgetting leaves alone, for the confirmation and the audit log: the directory, or the attached ensemble.</summary>
    public string WhatForgetLeaves(StoredEnsemble ensemble)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        return ensemble.Backend == BackendKind.AttachedZooKeeper
            ? $"the ensemble at {launcher.LocationOf(ensemble)} is left untouched (the portal only stops attaching to it)"
            : $"its data directory {launcher.LocationOf(ensemble)} is left untouched (nothing on disk is deleted)";
    }

    /// <summary>Where the ensemble lives: its data directory as a full path, or the connection string.</summary>
    public string LocationOf(StoredEnsemble ensemble) => launcher.LocationOf(ensemble);

    /// <summary>The audit log's parameters for an ensemble being brought back or forgotten (as the catalog stores them).</summary>
    internal static Dictionary<string, string> AuditParameters(StoredEnsemble ensemble) => new()
    {
        ["backend"] = ensemble.Backend.ToString(),
        ["location"] = ensemble.DataDirectory ?? ensemble.ConnectionString ?? string.Empty,
    };

    private async Task<RestoreActionResult> RunAsync(
        string name,
        string actor,
        string action,
        string reason,
        string what,
        Func<RestoreFailure, Task<RestoreActionResult>> run,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(actor))
        {
            // Nothing to audit against: the log needs an ensemble and a name.
            return new RestoreActionResult(RestoreActionStatus.Refused, "Both the ensemble and who asks are needed (the audit log records who); nothing was done.");
        }

        if (!failures.TryGet(name, out var failure))
        {
            return await RefuseAsync(name, actor, action, reason, new Dictionary<string, string>(),
                $"{name} is not among the ensembles that failed to come back (tried again or forgotten meanwhile?): nothing was done.", cancellationToken).ConfigureAwait(false);
        }

        if (failures.TryBegin(name, what) is { } busy)
        {
            return await RefuseAsync(name, actor, action, reason, AuditParameters(failure.Ensemble), busy, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            if (registry.TryGet(name, out _))
            {
                // Started by other means meanwhile: the entry is stale, and forgetting would drop a running ensemble from the catalog.
                failures.Remove(name);
                return await RefuseAsync(name, actor, action, reason, AuditParameters(failure.Ensemble),
                    $"{name} is running (it was started meanwhile): nothing was done, and it is no longer listed as not running.", cancellationToken).ConfigureAwait(false);
            }

            return await run(failure).ConfigureAwait(false);
        }
        finally
        {
            failures.End(name);
        }
    }

    private async Task<RestoreActionResult> RetryAsync(RestoreFailure failure, string actor, CancellationToken cancellationToken)
    {
        // The catalog's entry, not the remembered one: it is what a start would launch.
        var stored = await catalog.GetAsync(failure.Name, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            failures.Remove(failure.Name);
            return await RefuseAsync(failure.Name, actor, EnsembleHostedService.RestoreAction, RetryReason, AuditParameters(failure.Ensemble),
                $"{failure.Name} is no longer in the catalog, so there is nothing to bring back; it is no longer listed.", cancellationToken).ConfigureAwait(false);
        }

        var started = timeProvider.GetTimestamp();
        var parameters = AuditParameters(stored);
        RegisteredEnsemble registered;
        try
        {
            registered = await launcher.LaunchAsync(stored, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Cancelled (the portal stops): the entry stays as it was; anything else is the new reason it is not running.
            var cancelled = e is OperationCanceledException && cancellationToken.IsCancellationRequested;
            if (!cancelled)
            {
                failures.Record(stored, e.Message);
            }

            LogRetryFailed(logger, e, stored.Name, actor);
            await audit.RecordAsync(actor, stored.Name, EnsembleHostedService.RestoreAction, parameters, "Failed", timeProvider.GetElapsedTime(started),
                cancelled ? "cancelled before it came back" : e.Message, RetryReason, CancellationToken.None).ConfigureAwait(false);
            if (cancelled)
            {
                throw;
            }

            return new RestoreActionResult(RestoreActionStatus.Failed, e.Message);
        }

        failures.Remove(stored.Name);
        LogRetrySucceeded(logger, stored.Name, actor);
        await audit.RecordAsync(actor, stored.Name, EnsembleHostedService.RestoreAction, parameters, "Succeeded", timeProvider.GetElapsedTime(started),
            $"running again ({registered.Backend.Configuration.Count} members)", RetryReason, CancellationToken.None).ConfigureAwait(false);
        return new RestoreActionResult(RestoreActionStatus.Succeeded, $"{stored.Name} is running again.");
    }

    private async Task<RestoreActionResult> ForgetAsync(RestoreFailure failure, string actor, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var parameters = AuditParameters(failure.Ensemble);
        var leaves = WhatForgetLeaves(failure.Ensemble);
        bool removed;
        try
        {
            removed = await catalog.RemoveAsync(failure.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await audit.RecordAsync(actor, failure.Name, ForgetAction, parameters, "Failed", timeProvider.GetElapsedTime(started), e.Message, ForgetReason, CancellationToken.None).ConfigureAwait(false);
            return new RestoreActionResult(RestoreActionStatus.Failed, $"{failure.Name} could not be removed from the catalog: {e.Message}");
        }

        failures.Remove(failure.Name);
        LogForgotten(logger, failure.Name, actor);
        var detail = removed ? $"removed from the catalog; {leaves}" : $"was no longer in the catalog; {leaves}";
        await audit.RecordAsync(actor, failure.Name, ForgetAction, parameters, "Succeeded", timeProvider.GetElapsedTime(started), detail, ForgetReason, CancellationToken.None).ConfigureAwait(false);
        return new RestoreActionResult(RestoreActionStatus.Succeeded, $"{failure.Name} is forgotten: {detail}.");
    }

    private async Task<RestoreActionResult> RefuseAsync(
        string name,
        string actor,
        string action,
        string reason,
        IReadOnlyDictionary<string, string> parameters,
        string message,
        CancellationToken cancellationToken)
    {
        await audit.RecordAsync(actor, name, action, parameters, "Refused", duration: null, message, reason, cancellationToken).ConfigureAwait(false);
        return new RestoreActionResult(RestoreActionStatus.Refused, message);
    }

    [LoggerMessage(1, LogLevel.Information, "Ensemble {Ensemble} is running again (tried again by {Actor})")]
    private static partial void LogRetrySucceeded(ILogger logger, string ensemble, string actor);

    [LoggerMessage(2, LogLevel.Warning, "Ensemble {Ensemble} still cannot be brought back (tried again by {Actor})")]
    private static partial void LogRetryFailed(ILogger logger, Exception exception, string ensemble, string actor);

    [LoggerMessage(3, LogLevel.Information, "Ensemble {Ensemble} forgotten by {Actor}: removed from the catalog, nothing on disk touched")]
    private static partial void LogForgotten(ILogger logger, string ensemble, string actor);
}
