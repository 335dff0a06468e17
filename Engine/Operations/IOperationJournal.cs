using System.Collections.Concurrent;

namespace QuorumPortal.Engine.Operations;

/// <summary>
/// Where operations are kept (persistence port): saved at every change, so after a restart an unfinished one is
/// found and reported as interrupted. The portal implements it with SQLite; tests use <see cref="InMemoryOperationJournal"/>.
/// </summary>
public interface IOperationJournal
{
    /// <summary>Inserts or replaces the record with the same <see cref="OperationRecord.Id"/>.</summary>
    Task SaveAsync(OperationRecord record, CancellationToken cancellationToken);

    /// <summary>The operation with <paramref name="id"/>, or null.</summary>
    Task<OperationRecord?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Operations newest first, optionally of one ensemble.</summary>
    Task<IReadOnlyList<OperationRecord>> ListAsync(string? ensemble, int limit, CancellationToken cancellationToken);

    /// <summary>Operations still marked running (after a restart: the ones that were interrupted).</summary>
    Task<IReadOnlyList<OperationRecord>> ListUnfinishedAsync(CancellationToken cancellationToken);
}

/// <summary>A journal in memory, for tests and for a portal without a database.</summary>
public sealed class InMemoryOperationJournal : IOperationJournal
{
    private readonly ConcurrentDictionary<Guid, OperationRecord> _records = new();

    public Task SaveAsync(OperationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        _records[record.Id] = record;
        return Task.CompletedTask;
    }

    public Task<OperationRecord?> GetAsync(Guid id, CancellationToken cancellationToken) => Task.FromResult(_records.GetValueOrDefault(id));

    public Task<IReadOnlyList<OperationRecord>> ListAsync(string? ensemble, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<OperationRecord>>([.. _records.Values
            .Where(r => ensemble is null || r.Ensemble == ensemble)
            .OrderByDescending(r => r.StartedAt)
            .Take(limit)]);

    public Task<IReadOnlyList<OperationRecord>> ListUnfinishedAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<OperationRecord>>([.. _records.Values.Where(r => !r.IsFinished).OrderBy(r => r.StartedAt)]);
}
