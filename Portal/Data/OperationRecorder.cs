using System.Threading.Channels;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Hosting;

namespace QuorumPortal.Portal.Data;

/// <summary>
/// Writes down what operations leave behind. Every operation that ends or is refused becomes an audit entry. When one
/// that changes members or settings ends — in any state, since a failed or interrupted one may have changed them too —
/// the catalog takes the ensemble's committed members and settings from the backend, and changed settings become a new
/// settings version with the operation's who and why. The backend is read in <see cref="OperationCoordinator.Changed"/>,
/// while the ensemble still runs (the coordinator is disposed before the ensembles stop); the writes happen on a
/// queue, drained at stop.
/// </summary>
public sealed partial class OperationRecorder(
    OperationCoordinator coordinator,
    EnsembleRegistry registry,
    AuditLog audit,
    IEnsembleCatalog catalog,
    ISettingsHistory settingsHistory,
    ILogger<OperationRecorder> logger) : IHostedService
{
    private readonly Channel<Ended> _queue = Channel.CreateUnbounded<Ended>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Once _stop = new();
    private Task _writer = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        coordinator.Changed += OnChanged;
        _writer = Task.Run(WriteAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops listening and waits until everything queued is written.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _stop.RunAsync(async () =>
    {
        coordinator.Changed -= OnChanged;
        _queue.Writer.TryComplete();
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
    });

    /// <summary>Writes what an operation ended with now, as <see cref="OperationCoordinator.Changed"/> would have.</summary>
    internal async Task RecordAsync(OperationRecord record, IReadOnlyList<MemberSpec>? members, EnsembleSettings? settings, CancellationToken cancellationToken)
    {
        await audit.RecordOperationAsync(record, cancellationToken).ConfigureAwait(false);
        if (members is null || settings is null)
        {
            return;
        }

        var stored = await catalog.GetAsync(record.Ensemble, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            LogNotCatalogued(logger, record.Ensemble, record.Title);
            return;
        }

        if (!stored.Members.SequenceEqual(members))
        {
            await catalog.UpdateMembersAsync(record.Ensemble, members, cancellationToken).ConfigureAwait(false);
            LogMembersStored(logger, record.Ensemble, members.Count, record.Title);
        }

        if (stored.Settings != settings)
        {
            await catalog.UpdateSettingsAsync(record.Ensemble, settings, cancellationToken).ConfigureAwait(false);
            var version = await settingsHistory.AppendAsync(
                new SettingsChange(record.Ensemble, settings, record.RequestedBy, record.Reason ?? record.Title, record.Id),
                cancellationToken).ConfigureAwait(false);
            LogSettingsVersion(logger, record.Ensemble, version.Label, record.Title, record.State);
        }
    }

    private void OnChanged(OperationRecord record)
    {
        if (!record.IsFinished)
        {
            return;
        }

        // Read the backend now, on the operation's thread: at stop the ensemble is gone by the time the queue is written.
        var changesEnsemble = record.Kind is OperationKind.AddMembers or OperationKind.RemoveMembers or OperationKind.ApplySettings
            && record.State != OperationState.Refused;
        var backend = changesEnsemble && registry.TryGet(record.Ensemble, out var registered) ? registered.Backend : null;
        _queue.Writer.TryWrite(new Ended(record, backend?.Configuration, backend?.Settings));
    }

    private async Task WriteAsync()
    {
        await foreach (var ended in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await RecordAsync(ended.Record, ended.Members, ended.Settings, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogWriteFailed(logger, e, ended.Record.Title, ended.Record.Ensemble);
            }
        }
    }

    private sealed record Ended(OperationRecord Record, IReadOnlyList<MemberSpec>? Members, EnsembleSettings? Settings);

    [LoggerMessage(1, LogLevel.Information, "Catalog: {Ensemble} now has {Members} members (after '{Title}')")]
    private static partial void LogMembersStored(ILogger logger, string ensemble, int members, string title);

    [LoggerMessage(2, LogLevel.Information, "Catalog: {Ensemble} settings {Version} stored (after '{Title}', {State})")]
    private static partial void LogSettingsVersion(ILogger logger, string ensemble, string version, string title, OperationState state);

    [LoggerMessage(3, LogLevel.Warning, "'{Title}' ran on {Ensemble}, which is not in the catalog: its members and settings are not stored")]
    private static partial void LogNotCatalogued(ILogger logger, string ensemble, string title);

    [LoggerMessage(4, LogLevel.Error, "Could not record the end of '{Title}' on {Ensemble}")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string title, string ensemble);
}
