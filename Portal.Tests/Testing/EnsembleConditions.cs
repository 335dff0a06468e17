using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Portal.Api;

namespace QuorumPortal.Portal.Tests.Testing;

internal static class EnsembleConditions
{
    /// <summary>Exactly one member leads, every other one follows it, and the API agrees on who leads.</summary>
    public static bool IsSettled(EnsembleDto? ensemble) =>
        ensemble is { HasQuorum: true, LeaderId: { } leader }
        && ensemble.Members.Count(m => m.State == PeerState.Leading) == 1
        && ensemble.Members.Single(m => m.State == PeerState.Leading).ServerId == leader;

    public static EnsembleDto? Demo(IReadOnlyList<EnsembleDto> ensembles) => ensembles.SingleOrDefault(e => e.Name == "demo");
}
