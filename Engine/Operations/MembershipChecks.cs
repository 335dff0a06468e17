using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Operations;

/// <summary>The preflight findings every membership change shares.</summary>
internal static class MembershipChecks
{
    /// <summary>A fresh list with the checks any reconfig needs: the backend can do it, and a leader with a quorum is there to commit it.</summary>
    public static List<PreflightCheck> Start(IEnsembleBackend backend, EnsembleSnapshot snapshot)
    {
        var checks = new List<PreflightCheck>();
        if (!backend.Capabilities.Reconfigure)
        {
            checks.Add(PreflightCheck.Error("capability", $"{backend.Name} ({backend.Kind}) cannot change its membership from the portal."));
        }

        if (!snapshot.HasQuorum)
        {
            checks.Add(PreflightCheck.Error("quorum", $"{backend.Name} has no quorum now ({snapshot.ServingVoters} of {snapshot.VoterCount} voters serving): a reconfig needs a working leader. Restore the quorum first."));
        }

        return checks;
    }

    public static PreflightCheck Quorum(QuorumChange quorum) =>
        PreflightCheck.Info("quorum", $"voters {quorum.VotersBefore} → {quorum.VotersAfter}, majority {quorum.MajorityBefore} → {quorum.MajorityAfter}, failures tolerated {quorum.FailuresToleratedBefore} → {quorum.FailuresToleratedAfter}" +
            (quorum.ObserversAfter != quorum.ObserversBefore ? $", observers {quorum.ObserversBefore} → {quorum.ObserversAfter}" : string.Empty) + ".");
}
