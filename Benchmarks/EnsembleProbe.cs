using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Benchmarks;

/// <summary>Waits on an <see cref="EmbeddedEnsemble"/>'s state by probing its members, as the monitor does.</summary>
internal static class EnsembleProbe
{
    /// <summary>Waits until <paramref name="expected"/> members serve in Broadcast under one leader; returns its id.</summary>
    public static async Task<int> WaitForAllInBroadcastAsync(EmbeddedEnsemble ensemble, int expected, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        string last = "no probe";
        while (!cancel.IsCancellationRequested)
        {
            var statuses = await Task.WhenAll(ensemble.Members.Select(m => ensemble.ProbeAsync(m.ServerId, CancellationToken.None)));
            var leaders = statuses.Where(s => s.State == PeerState.Leading && s.Phase == ZabPhase.Broadcast).ToList();
            if (leaders.Count == 1
                && statuses.Count(s => s.Phase == ZabPhase.Broadcast && (s.LeaderId == leaders[0].ServerId || s.ServerId == leaders[0].ServerId)) == expected)
            {
                return leaders[0].ServerId;
            }

            last = string.Join("; ", statuses.Select(s => $"{s.ServerId}:{s.State}/{s.Phase}"));
            await Task.Delay(10, CancellationToken.None);
        }

        throw new TimeoutException($"not all {expected} members in Broadcast within {timeout.TotalSeconds} s: {last}");
    }
}
