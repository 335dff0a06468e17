using Microsoft.EntityFrameworkCore;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data;

/// <summary>Settings versions in SQLite (<c>SettingsVersions</c>); a version's number is the ensemble's highest plus one.</summary>
public sealed class SqliteSettingsHistory(IDbContextFactory<PortalDbContext> contexts, TimeProvider timeProvider) : ISettingsHistory
{
    public async Task<SettingsVersion> AppendAsync(SettingsChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        change.Settings.EnsureValid();
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            // The transaction takes SQLite's write lock before it reads the highest number (BEGIN IMMEDIATE), so two
            // appends cannot both take the same one; the unique index guards it too.
            var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var highest = await db.SettingsVersions.Where(v => v.Ensemble == change.Ensemble).MaxAsync(v => (int?)v.Version, cancellationToken).ConfigureAwait(false) ?? 0;
                var entity = new SettingsVersionEntity
                {
                    Ensemble = change.Ensemble,
                    Version = highest + 1,
                    SettingsJson = DataJson.Write(change.Settings),
                    ChangedBy = change.ChangedBy,
                    ChangedAt = timeProvider.GetUtcNow(),
                    Reason = change.Reason,
                    OperationId = change.OperationId,
                };
                db.SettingsVersions.Add(entity);
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return ToVersion(entity);
            }
        }
    }

    public async Task<IReadOnlyList<SettingsVersion>> ListAsync(string ensemble, CancellationToken cancellationToken)
    {
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var entities = await db.SettingsVersions.AsNoTracking().Where(v => v.Ensemble == ensemble).OrderByDescending(v => v.Version).ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. entities.Select(ToVersion)];
        }
    }

    public async Task<SettingsVersion?> GetAsync(string ensemble, int version, CancellationToken cancellationToken)
    {
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var entity = await db.SettingsVersions.AsNoTracking().SingleOrDefaultAsync(v => v.Ensemble == ensemble && v.Version == version, cancellationToken).ConfigureAwait(false);
            return entity is null ? null : ToVersion(entity);
        }
    }

    private static SettingsVersion ToVersion(SettingsVersionEntity v) =>
        new(v.Ensemble, v.Version, DataJson.Read<EnsembleSettings>(v.SettingsJson), v.ChangedBy, v.ChangedAt, v.Reason, v.OperationId);
}
