using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Backends;

/// <summary>Reading a whole ensemble through its backend: one snapshot, or waiting for a condition on it.</summary>
public static class EnsembleBackendExtensions
{
    /// <summary>
    /// The snapshot of <paramref name="members"/> with their <paramref name="statuses"/>; members not in the backend's
    /// committed configuration are marked joining, so they count in no quorum.
    /// </summary>
    public static EnsembleSnapshot Snapshot(this IEnsembleBackend backend, IReadOnlyList<MemberSpec> members, IReadOnlyList<MemberStatus> statuses, DateTimeOffset takenAt)
    {
        var configured = backend.Configuration.Select(m => m.ServerId).ToHashSet();
        return new EnsembleSnapshot
        {
            Name = backend.Name,
            Backend = backend.Kind,
            Members = members,
            Joining = members.Where(m => !configured.Contains(m.ServerId)).Select(m => m.ServerId).ToArray(),
            Statuses = statuses,
            TakenAt = takenAt,
        };
    }

    /// <summary>Probes every member once, in parallel.</summary>
    public static async Task<EnsembleSnapshot> ProbeSnapshotAsync(this IEnsembleBackend backend, TimeProvider time, CancellationToken cancellationToken)
    {
        var members = backend.Members;
        var statuses = await Task.WhenAll(members.Select(m => backend.ProbeAsync(m.ServerId, cancellationToken))).ConfigureAwait(false);
        return backend.Snapshot(members, statuses, time.GetUtcNow());
    }

    /// <summary>
    /// Probes the ensemble until <paramref name="condition"/> holds and returns that snapshot; after
    /// <paramref name="timeout"/>, throws a <see cref="TimeoutException"/> that lists every member's last state.
    /// </summary>
    public static async Task<EnsembleSnapshot> WaitForAsync(
        this IEnsembleBackend backend, Func<EnsembleSnapshot, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var time = TimeProvider.System;
        var started = time.GetTimestamp();
        while (true)
        {
            var snapshot = await backend.ProbeSnapshotAsync(time, cancellationToken).ConfigureAwait(false);
            if (condition(snapshot))
            {
                return snapshot;
            }

            if (time.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"{backend.Name}: condition not reached within {timeout.TotalSeconds:0.#} s; members: " +
                    string.Join("; ", snapshot.Statuses.Select(s => $"{s.ServerId}:{s.State}/{s.Phase} epoch {s.Epoch}{(s.Error is null ? string.Empty : " " + s.Error)}")));
            }

            // Probing is the wait; the pause only spaces the probes out.
            await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
        }
    }
}
