using System.Collections.Concurrent;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Operations;

namespace QuorumPortal.Engine.Persistence;

/// <summary>
/// One version of an ensemble's settings: its number (1 for the settings it was created with), the settings, and
/// who changed them, when, why, and through which operation. A rollback is a new version with older settings.
/// </summary>
public sealed record SettingsVersion(
    string Ensemble,
    int Version,
    EnsembleSettings Settings,
    string ChangedBy,
    DateTimeOffset ChangedAt,
    string? Reason = null,
    Guid? OperationId = null)
{
    /// <summary>How the operator names it, e.g. "v7".</summary>
    public string Label => $"v{Version}";
}

/// <summary>What a new settings version records; the history numbers and dates it.</summary>
public sealed record SettingsChange(string Ensemble, EnsembleSettings Settings, string ChangedBy, string? Reason = null, Guid? OperationId = null);

/// <summary>
/// Every version of every ensemble's settings, kept (persistence port). Versions are only appended, never changed.
/// The portal implements it with SQLite; tests use <see cref="InMemorySettingsHistory"/>.
/// </summary>
public interface ISettingsHistory
{
    /// <summary>Stores <paramref name="change"/> as the ensemble's next version and returns it.</summary>
    /// <exception cref="ValidationException">the settings break a rule; nothing was stored.</exception>
    Task<SettingsVersion> AppendAsync(SettingsChange change, CancellationToken cancellationToken);

    /// <summary>The ensemble's versions, newest first; empty when it has none.</summary>
    Task<IReadOnlyList<SettingsVersion>> ListAsync(string ensemble, CancellationToken cancellationToken);

    Task<SettingsVersion?> GetAsync(string ensemble, int version, CancellationToken cancellationToken);
}

/// <summary>Settings histories in memory, for tests and for a portal without a database.</summary>
public sealed class InMemorySettingsHistory(TimeProvider? timeProvider = null) : ISettingsHistory
{
    private readonly ConcurrentDictionary<string, List<SettingsVersion>> _versions = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public Task<SettingsVersion> AppendAsync(SettingsChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        change.Settings.EnsureValid();
        var versions = _versions.GetOrAdd(change.Ensemble, _ => []);
        lock (versions)
        {
            var version = new SettingsVersion(change.Ensemble, versions.Count + 1, change.Settings, change.ChangedBy, _time.GetUtcNow(), change.Reason, change.OperationId);
            versions.Add(version);
            return Task.FromResult(version);
        }
    }

    public Task<IReadOnlyList<SettingsVersion>> ListAsync(string ensemble, CancellationToken cancellationToken)
    {
        if (!_versions.TryGetValue(ensemble, out var versions))
        {
            return Task.FromResult<IReadOnlyList<SettingsVersion>>([]);
        }

        lock (versions)
        {
            return Task.FromResult<IReadOnlyList<SettingsVersion>>([.. Enumerable.Reverse(versions)]);
        }
    }

    public Task<SettingsVersion?> GetAsync(string ensemble, int version, CancellationToken cancellationToken)
    {
        if (!_versions.TryGetValue(ensemble, out var versions))
        {
            return Task.FromResult<SettingsVersion?>(null);
        }

        lock (versions)
        {
            return Task.FromResult(version >= 1 && version <= versions.Count ? versions[version - 1] : null);
        }
    }
}

public static class SettingsHistoryExtensions
{
    /// <summary>
    /// The operation that brings <paramref name="version"/>'s settings back. Run it through the coordinator; when it
    /// succeeds the portal stores the settings as a new version, so the history only grows.
    /// </summary>
    /// <exception cref="KeyNotFoundException">the ensemble has no such version.</exception>
    public static async Task<ApplySettingsOperation> RollbackToAsync(this ISettingsHistory history, string ensemble, int version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(history);
        var found = await history.GetAsync(ensemble, version, cancellationToken).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"{ensemble} has no settings version v{version}.");
        return new ApplySettingsOperation(found.Settings, $"{found.Label} again (rollback)");
    }
}
