using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data;

/// <summary>The ensemble catalog in SQLite: <c>Ensembles</c> and their <c>EnsembleMembers</c>.</summary>
public sealed class SqliteEnsembleCatalog(IDbContextFactory<PortalDbContext> contexts, TimeProvider timeProvider) : IEnsembleCatalog
{
    private const int SqliteConstraint = 19;

    public async Task<IReadOnlyList<StoredEnsemble>> ListAsync(CancellationToken cancellationToken)
    {
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var entities = await db.Ensembles.AsNoTracking().Include(e => e.Members).OrderBy(e => e.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. entities.Select(ToStored)];
        }
    }

    public async Task<StoredEnsemble?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var entity = await db.Ensembles.AsNoTracking().Include(e => e.Members).SingleOrDefaultAsync(e => e.Name == name, cancellationToken).ConfigureAwait(false);
            return entity is null ? null : ToStored(entity);
        }
    }

    public async Task<StoredEnsemble> AddAsync(StoredEnsemble ensemble, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        var now = timeProvider.GetUtcNow();
        var stored = ensemble.EnsureValid() with { CreatedAt = now, UpdatedAt = now };
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            db.Ensembles.Add(ToEntity(stored));
            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbUpdateException e) when (e.InnerException is SqliteException { SqliteErrorCode: SqliteConstraint })
            {
                throw CatalogErrors.AlreadyStored(stored.Name);
            }

            return stored;
        }
    }

    public Task<StoredEnsemble> UpdateMembersAsync(string name, IReadOnlyList<MemberSpec> members, CancellationToken cancellationToken) =>
        UpdateAsync(name, e => e with { Members = [.. members] }, cancellationToken);

    public Task<StoredEnsemble> UpdateSettingsAsync(string name, EnsembleSettings settings, CancellationToken cancellationToken) =>
        UpdateAsync(name, e => e with { Settings = settings }, cancellationToken);

    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken)
    {
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            return await db.Ensembles.Where(e => e.Name == name).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
    }

    private async Task<StoredEnsemble> UpdateAsync(string name, Func<StoredEnsemble, StoredEnsemble> change, CancellationToken cancellationToken)
    {
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var entity = await db.Ensembles.Include(e => e.Members).SingleOrDefaultAsync(e => e.Name == name, cancellationToken).ConfigureAwait(false)
                    ?? throw CatalogErrors.NotStored(name);
                var updated = change(ToStored(entity)).EnsureValid() with { UpdatedAt = timeProvider.GetUtcNow() };

                // Members are replaced whole: delete the old rows first, so a server id that stays is inserted again.
                db.EnsembleMembers.RemoveRange(entity.Members);
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                var replacement = ToEntity(updated);
                entity.SettingsJson = replacement.SettingsJson;
                entity.UpdatedAt = replacement.UpdatedAt;
                entity.Members = replacement.Members;
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return updated;
            }
        }
    }

    private static EnsembleEntity ToEntity(StoredEnsemble e) => new()
    {
        Name = e.Name,
        Backend = e.Backend,
        SettingsJson = DataJson.Write(e.Settings),
        DataDirectory = e.DataDirectory,
        ConnectionString = e.ConnectionString,
        CredentialsReference = e.CredentialsReference,
        CreatedAt = e.CreatedAt,
        UpdatedAt = e.UpdatedAt,
        Members = [.. e.Members.Select(m => new EnsembleMemberEntity
        {
            EnsembleName = e.Name,
            ServerId = m.ServerId,
            Role = m.Role,
            Host = m.Host,
            QuorumPort = m.QuorumPort,
            ElectionPort = m.ElectionPort,
            ClientPort = m.ClientPort,
        })],
    };

    private static StoredEnsemble ToStored(EnsembleEntity e) => new()
    {
        Name = e.Name,
        Backend = e.Backend,
        Settings = DataJson.Read<EnsembleSettings>(e.SettingsJson),
        DataDirectory = e.DataDirectory,
        ConnectionString = e.ConnectionString,
        CredentialsReference = e.CredentialsReference,
        CreatedAt = e.CreatedAt,
        UpdatedAt = e.UpdatedAt,
        Members = [.. e.Members.OrderBy(m => m.ServerId).Select(m => new MemberSpec
        {
            ServerId = m.ServerId,
            Role = m.Role,
            Host = m.Host,
            QuorumPort = m.QuorumPort,
            ElectionPort = m.ElectionPort,
            ClientPort = m.ClientPort,
        })],
    };
}
