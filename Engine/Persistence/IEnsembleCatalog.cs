using System.Collections.Concurrent;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Persistence;

/// <summary>
/// The ensembles the portal runs, kept across restarts (persistence port): added when one is created or attached,
/// updated when an operation changes its members or settings, read at startup to bring every one back.
/// The portal implements it with SQLite; tests use <see cref="InMemoryEnsembleCatalog"/>.
/// </summary>
public interface IEnsembleCatalog
{
    /// <summary>Every stored ensemble, ordered by name.</summary>
    Task<IReadOnlyList<StoredEnsemble>> ListAsync(CancellationToken cancellationToken);

    Task<StoredEnsemble?> GetAsync(string name, CancellationToken cancellationToken);

    /// <summary>Stores a new ensemble and returns it as stored (with its times).</summary>
    /// <exception cref="ValidationException">the entry breaks a rule; nothing was stored.</exception>
    /// <exception cref="InvalidOperationException">an ensemble of that name is already stored; nothing was changed.</exception>
    Task<StoredEnsemble> AddAsync(StoredEnsemble ensemble, CancellationToken cancellationToken);

    /// <summary>Replaces the members of a stored ensemble (its committed configuration).</summary>
    /// <exception cref="KeyNotFoundException">no ensemble of that name is stored.</exception>
    Task<StoredEnsemble> UpdateMembersAsync(string name, IReadOnlyList<MemberSpec> members, CancellationToken cancellationToken);

    /// <summary>Replaces the settings of a stored ensemble.</summary>
    /// <exception cref="KeyNotFoundException">no ensemble of that name is stored.</exception>
    Task<StoredEnsemble> UpdateSettingsAsync(string name, EnsembleSettings settings, CancellationToken cancellationToken);

    /// <summary>Forgets an ensemble (its data directory is left alone). False when none of that name was stored.</summary>
    Task<bool> RemoveAsync(string name, CancellationToken cancellationToken);
}

/// <summary>A catalog in memory, for tests and for a portal without a database.</summary>
public sealed class InMemoryEnsembleCatalog(TimeProvider? timeProvider = null) : IEnsembleCatalog
{
    private readonly ConcurrentDictionary<string, StoredEnsemble> _ensembles = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public Task<IReadOnlyList<StoredEnsemble>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StoredEnsemble>>([.. _ensembles.Values.OrderBy(e => e.Name, StringComparer.Ordinal)]);

    public Task<StoredEnsemble?> GetAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_ensembles.GetValueOrDefault(name));

    public Task<StoredEnsemble> AddAsync(StoredEnsemble ensemble, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        var now = _time.GetUtcNow();
        var stored = ensemble.EnsureValid() with { CreatedAt = now, UpdatedAt = now };
        return _ensembles.TryAdd(stored.Name, stored)
            ? Task.FromResult(stored)
            : throw CatalogErrors.AlreadyStored(stored.Name);
    }

    public Task<StoredEnsemble> UpdateMembersAsync(string name, IReadOnlyList<MemberSpec> members, CancellationToken cancellationToken) =>
        Task.FromResult(Update(name, e => e with { Members = [.. members] }));

    public Task<StoredEnsemble> UpdateSettingsAsync(string name, EnsembleSettings settings, CancellationToken cancellationToken) =>
        Task.FromResult(Update(name, e => e with { Settings = settings }));

    public Task<bool> RemoveAsync(string name, CancellationToken cancellationToken) => Task.FromResult(_ensembles.TryRemove(name, out _));

    private StoredEnsemble Update(string name, Func<StoredEnsemble, StoredEnsemble> change)
    {
        while (true)
        {
            var current = _ensembles.TryGetValue(name, out var found) ? found : throw CatalogErrors.NotStored(name);
            var updated = change(current).EnsureValid() with { UpdatedAt = _time.GetUtcNow() };
            if (_ensembles.TryUpdate(name, updated, current))
            {
                return updated;
            }
        }
    }
}

/// <summary>The catalog's errors, worded the same by every implementation.</summary>
public static class CatalogErrors
{
    public static InvalidOperationException AlreadyStored(string name) =>
        new($"An ensemble named '{name}' is already in the catalog; choose another name or remove it first.");

    public static KeyNotFoundException NotStored(string name) => new($"No ensemble named '{name}' is in the catalog.");
}
