using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Backends;

/// <summary>The rules every backend applies to a membership change before it sends anything.</summary>
public static class MembershipChange
{
    /// <summary>Validates the membership that results from adding <paramref name="joiners"/> and removing <paramref name="leaving"/>.</summary>
    public static void EnsureValid(string name, EnsembleSettings settings, IReadOnlyList<MemberSpec> current, IReadOnlyList<MemberSpec> joiners, IReadOnlyList<int> leaving)
    {
        var remaining = current.Where(m => !leaving.Contains(m.ServerId)).ToList();
        var errors = new List<ValidationError>();
        if (joiners.Count == 0 && leaving.Count == 0)
        {
            errors.Add(new("members", "the change adds and removes nobody"));
        }

        foreach (var id in leaving.Where(id => current.All(m => m.ServerId != id)))
        {
            errors.Add(new("leaving", $"server.{id} is not in the configuration of {name} (members {string.Join(",", current.Select(m => m.ServerId))})"));
        }

        if (!remaining.Concat(joiners).Any(m => m.IsVoter))
        {
            errors.Add(new("leaving", $"removing {string.Join(",", leaving.Select(id => "server." + id))} would leave {name} without a participant; keep at least one (and a majority of the participants running)"));
        }

        errors.AddRange(new EnsembleSpec { Name = name, Members = [.. remaining, .. joiners], Settings = settings }.Validate()
            .Where(e => !e.Rule.StartsWith("an ensemble needs at least one participant", StringComparison.Ordinal)));
        if (joiners.Count(j => j.IsVoter) > 1)
        {
            // Two new voters at once raise the quorum by two before either has shown it can keep up.
            errors.Add(new("joining", $"add one participant at a time ({joiners.Count(j => j.IsVoter)} were given); observers may join together"));
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }
    }

    /// <summary>
    /// How long a joiner may take to sync with the leader before a change gives up on it: initLimit ticks (what
    /// ZooKeeper allows a learner), twice over for the process to start.
    /// </summary>
    public static TimeSpan SyncLimit(EnsembleSettings settings) => TimeSpan.FromMilliseconds(2.0 * settings.TickTime * settings.InitLimit);

    /// <summary>
    /// Probes a joiner until it serves (follows the leader, synced): only then does it count in the new configuration's
    /// quorum, as ZooKeeper checks (NewConfigNoQuorum); a joiner that is not synced could otherwise be added and leave
    /// the ensemble one failure closer to losing its quorum. Returns null once it serves, else its last status after
    /// <see cref="SyncLimit"/>.
    /// </summary>
    public static async Task<MemberStatus?> WaitUntilSyncedAsync(IEnsembleBackend backend, int serverId, TimeProvider time, CancellationToken cancellationToken)
    {
        var limit = SyncLimit(backend.Settings);
        var started = time.GetTimestamp();
        while (true)
        {
            var status = await backend.ProbeAsync(serverId, cancellationToken).ConfigureAwait(false);
            if (status.IsServing)
            {
                return null;
            }

            if (time.GetElapsedTime(started) > limit)
            {
                return status;
            }

            // Probing is the wait; the pause only spaces the probes out.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(20, backend.Settings.TickTime / 4)), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
