using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data;

/// <summary>
/// The audit log (<c>AuditEntries</c>): every operation that ends or is refused (see <see cref="OperationRecorder"/>)
/// and every other outcome a wizard records with <see cref="RecordAsync"/>. Filterable, and exported as CSV by
/// <see cref="AuditCsv"/>.
/// </summary>
public sealed class AuditLog(IDbContextFactory<PortalDbContext> contexts, TimeProvider timeProvider)
{
    private const int SqliteConstraint = 19;

    /// <summary>Records an outcome now. Every text but <paramref name="detail"/> and <paramref name="reason"/> is required.</summary>
    /// <exception cref="ArgumentException">a required text is empty; nothing was recorded.</exception>
    public async Task<AuditEntry> RecordAsync(
        string actor,
        string ensemble,
        string action,
        IReadOnlyDictionary<string, string> parameters,
        string result,
        TimeSpan? duration,
        string? detail = null,
        string? reason = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ArgumentException.ThrowIfNullOrWhiteSpace(ensemble);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrWhiteSpace(result);
        var entity = new AuditEntryEntity
        {
            At = timeProvider.GetUtcNow(),
            Actor = actor,
            Ensemble = ensemble,
            Action = action,
            ParametersJson = DataJson.Write(parameters),
            Result = result,
            DurationMs = duration?.TotalMilliseconds,
            Detail = detail,
            Reason = reason,
        };
        await InsertAsync(entity, cancellationToken).ConfigureAwait(false);
        return ToEntry(entity);
    }

    /// <summary>
    /// Records a finished (or refused) operation once: a second call for the same operation changes nothing and
    /// returns false. A running one is not recorded.
    /// </summary>
    public async Task<bool> RecordOperationAsync(OperationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!record.IsFinished)
        {
            return false;
        }

        var entity = new AuditEntryEntity
        {
            At = record.EndedAt ?? timeProvider.GetUtcNow(),
            Actor = record.RequestedBy,
            Ensemble = record.Ensemble,
            Action = record.Kind.ToString(),
            ParametersJson = DataJson.Write(record.Parameters),
            Result = record.State.ToString(),
            DurationMs = record.Duration?.TotalMilliseconds,
            Detail = $"{record.Title}: {record.Outcome ?? record.Error ?? record.State.ToString()}",
            Reason = record.Reason,
            OperationId = record.Id,
        };
        try
        {
            await InsertAsync(entity, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DbUpdateException e) when (e.InnerException is SqliteException { SqliteErrorCode: SqliteConstraint })
        {
            return false;
        }
    }

    /// <summary>The entries that match, newest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var entries = new List<AuditEntry>();
        await foreach (var entry in StreamAsync(query, cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
        }

        return entries;
    }

    /// <summary>The entries that match, newest first, read as they are consumed (for an export of any size).</summary>
    public async IAsyncEnumerable<AuditEntry> StreamAsync(AuditQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            await foreach (var entity in Filter(db.AuditEntries.AsNoTracking(), query).AsAsyncEnumerable().WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                yield return ToEntry(entity);
            }
        }
    }

    private static IQueryable<AuditEntryEntity> Filter(IQueryable<AuditEntryEntity> entries, AuditQuery query)
    {
        if (query.Ensemble is { } ensemble)
        {
            entries = entries.Where(a => a.Ensemble == ensemble);
        }

        if (query.Actor is { } actor)
        {
            entries = entries.Where(a => a.Actor == actor);
        }

        if (query.Action is { } action)
        {
            entries = entries.Where(a => a.Action == action);
        }

        if (query.From is { } from)
        {
            entries = entries.Where(a => a.At >= from);
        }

        if (query.To is { } to)
        {
            entries = entries.Where(a => a.At < to);
        }

        entries = entries.OrderByDescending(a => a.At).ThenByDescending(a => a.Id);
        return query.Limit is { } limit ? entries.Take(limit) : entries;
    }

    private async Task InsertAsync(AuditEntryEntity entity, CancellationToken cancellationToken)
    {
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            db.AuditEntries.Add(entity);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static AuditEntry ToEntry(AuditEntryEntity a) => new(
        a.Id,
        a.At,
        a.Actor,
        a.Ensemble,
        a.Action,
        DataJson.Read<Dictionary<string, string>>(a.ParametersJson),
        a.Result,
        a.DurationMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
        a.Detail,
        a.Reason,
        a.OperationId);
}
