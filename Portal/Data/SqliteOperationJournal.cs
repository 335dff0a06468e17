using Microsoft.EntityFrameworkCore;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data;

/// <summary>
/// The operation journal in SQLite: an operation and its steps are replaced whole at every save, in one
/// transaction, so a reader never sees a record half written.
/// </summary>
public sealed class SqliteOperationJournal(IDbContextFactory<PortalDbContext> contexts) : IOperationJournal
{
    public async Task SaveAsync(OperationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await db.OperationSteps.Where(s => s.OperationId == record.Id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                await db.Operations.Where(o => o.Id == record.Id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                db.Operations.Add(ToEntity(record));
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<OperationRecord?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync(q => q.Where(o => o.Id == id), cancellationToken).ConfigureAwait(false);
        return found.SingleOrDefault();
    }

    public Task<IReadOnlyList<OperationRecord>> ListAsync(string? ensemble, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return QueryAsync(
            q => (ensemble is null ? q : q.Where(o => o.Ensemble == ensemble)).OrderByDescending(o => o.StartedAt).Take(limit),
            cancellationToken);
    }

    public Task<IReadOnlyList<OperationRecord>> ListUnfinishedAsync(CancellationToken cancellationToken) =>
        QueryAsync(q => q.Where(o => o.State == OperationState.Running).OrderBy(o => o.StartedAt), cancellationToken);

    internal static OperationEntity ToEntity(OperationRecord record) => new()
    {
        Id = record.Id,
        Ensemble = record.Ensemble,
        Kind = record.Kind,
        Title = record.Title,
        RequestedBy = record.RequestedBy,
        Reason = record.Reason,
        StartedAt = record.StartedAt,
        EndedAt = record.EndedAt,
        State = record.State,
        Outcome = record.Outcome,
        Error = record.Error,
        ParametersJson = DataJson.Write(record.Parameters),
        PreflightJson = DataJson.Write(record.Preflight),
        MeasurementsJson = DataJson.Write(record.Measurements),
        Steps = [.. record.Steps.Select((s, i) => new OperationStepEntity
        {
            OperationId = record.Id,
            Position = i,
            Name = s.Name,
            State = s.State,
            StartedAt = s.StartedAt,
            EndedAt = s.EndedAt,
            Detail = s.Detail,
        })],
    };

    internal static OperationRecord ToRecord(OperationEntity entity) => new()
    {
        Id = entity.Id,
        Ensemble = entity.Ensemble,
        Kind = entity.Kind,
        Title = entity.Title,
        RequestedBy = entity.RequestedBy,
        Reason = entity.Reason,
        StartedAt = entity.StartedAt,
        EndedAt = entity.EndedAt,
        State = entity.State,
        Outcome = entity.Outcome,
        Error = entity.Error,
        Parameters = DataJson.Read<Dictionary<string, string>>(entity.ParametersJson),
        Preflight = DataJson.Read<List<PreflightCheck>>(entity.PreflightJson),
        Measurements = DataJson.Read<Dictionary<string, double>>(entity.MeasurementsJson),
        Steps = [.. entity.Steps.OrderBy(s => s.Position).Select(s => new OperationStep(s.Name, s.State, s.StartedAt, s.EndedAt, s.Detail))],
    };

    private async Task<IReadOnlyList<OperationRecord>> QueryAsync(Func<IQueryable<OperationEntity>, IQueryable<OperationEntity>> shape, CancellationToken cancellationToken)
    {
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var entities = await shape(db.Operations.AsNoTracking()).Include(o => o.Steps).ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. entities.Select(ToRecord)];
        }
    }
}
