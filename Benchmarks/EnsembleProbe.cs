using QuorumPortal.Engine.Backends;

namespace QuorumPortal.Benchmarks;

/// <summary>Waits on an ensemble's state by probing its members, as the monitor does.</summary>
internal static class EnsembleProbe
{
    /// <summary>Waits until every member of the configuration serves in Broadcast under one leader; returns its id.</summary>
    public static async Task<int> WaitForAllServingAsync(IEnsembleBackend ensemble, TimeSpan timeout)
    {
        var snapshot = await ensemble.WaitForAsync(s => s.HasQuorum && s.ServingVoters == s.VoterCount, timeout);
        return snapshot.LeaderId!.Value;
    }
}
