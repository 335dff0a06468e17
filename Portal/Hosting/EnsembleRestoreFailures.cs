using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using QuorumPortal.Engine.Persistence;

namespace QuorumPortal.Portal.Hosting;

/// <summary>An ensemble of the catalog that is not running because it could not be brought back: as stored, why, and when it was last tried.</summary>
public sealed record RestoreFailure(StoredEnsemble Ensemble, string Error, DateTimeOffset At)
{
    public string Name => Ensemble.Name;
}

/// <summary>
/// The ensembles of the catalog that failed to come back (at portal start or on a retry), so the overview can show
/// them instead of leaving them silently missing. <see cref="EnsembleRestoreActions"/> retries or forgets them; at most
/// one action per ensemble runs at a time (<see cref="TryBegin"/>).
/// </summary>
public sealed class EnsembleRestoreFailures(TimeProvider timeProvider)
{
    private readonly Lock _gate = new();
    private ImmutableSortedDictionary<string, RestoreFailure> _failures = ImmutableSortedDictionary.Create<string, RestoreFailure>(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _running = new(StringComparer.Ordinal);

    /// <summary>
    /// Raised after the list changed, on the thread that changed it (the host's start, or an action's continuation),
    /// so a page re-reads <see cref="Failures"/> through <c>InvokeAsync</c>.
    /// </summary>
    public event Action? Changed;

    /// <summary>Every ensemble that is not running because it failed to come back, ordered by name.</summary>
    public IReadOnlyList<RestoreFailure> Failures => [.. Volatile.Read(ref _failures).Values];

    public bool TryGet(string name, [NotNullWhen(true)] out RestoreFailure? failure) =>
        Volatile.Read(ref _failures).TryGetValue(name, out failure);

    /// <summary>Records (or replaces) the failure of <paramref name="ensemble"/> to come back, now.</summary>
    public RestoreFailure Record(StoredEnsemble ensemble, string error)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        var failure = new RestoreFailure(ensemble, error, timeProvider.GetUtcNow());
        lock (_gate)
        {
            _failures = _failures.SetItem(ensemble.Name, failure);
        }

        Changed?.Invoke();
        return failure;
    }

    /// <summary>Takes <paramref name="name"/> off the list (it runs again, or was forgotten). False when it was not there.</summary>
    public bool Remove(string name)
    {
        lock (_gate)
        {
            if (!_failures.ContainsKey(name))
            {
                return false;
            }

            _failures = _failures.Remove(name);
        }

        Changed?.Invoke();
        return true;
    }

    /// <summary>
    /// Marks an action on <paramref name="name"/> as running, unless one already runs: then nothing is marked and the
    /// refusal, worded for the operator, is returned. A caller that got null calls <see cref="End"/> when done.
    /// </summary>
    /// <param name="what">The action and who asked, e.g. "A retry by alice".</param>
    internal string? TryBegin(string name, string what)
    {
        var since = timeProvider.GetUtcNow().UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        lock (_gate)
        {
            if (_running.TryGetValue(name, out var running))
            {
                return $"{running} is already running on {name}: nothing was done; wait for it to end.";
            }

            _running[name] = $"{what} (since {since} UTC)";
            return null;
        }
    }

    internal void End(string name)
    {
        lock (_gate)
        {
            _running.Remove(name);
        }
    }
}
