using Microsoft.EntityFrameworkCore;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data;

/// <summary>The event history in SQLite (<c>Events</c>).</summary>
public sealed class SqliteEventHistory(IDbContextFactory<PortalDbContext> contexts) : IEventHistory
{
    public async Task AppendAsync(IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            db.Events.AddRange(events.Select(e => new EventEntity
            {
                Ensemble = e.Ensemble,
                Timestamp = e.Timestamp,
                Kind = e.Kind,
                Summary = e.Summary,
                ServerId = e.ServerId,
                Epoch = e.Epoch,
                DurationMs = e.Duration?.TotalMilliseconds,
            }));
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<RecordedEvent>> QueryAsync(EventHistoryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var events = db.Events.AsNoTracking();
            if (query.Ensemble is { } ensemble)
            {
                events = events.Where(e => e.Ensemble == ensemble);
            }

            if (query.From is { } from)
            {
                events = events.Where(e => e.Timestamp >= from);
            }

            if (query.To is { } to)
            {
                events = events.Where(e => e.Timestamp < to);
            }

            if (query.Kinds.Count > 0)
            {
                var kinds = query.Kinds.ToList();
                events = events.Where(e => kinds.Contains(e.Kind));
            }

            var rows = await events.OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.Id).Take(query.Limit).ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(e => new RecordedEvent(
                e.Ensemble, e.Timestamp, e.Kind, e.Summary, e.ServerId, e.Epoch, e.DurationMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null))];
        }
    }
}
