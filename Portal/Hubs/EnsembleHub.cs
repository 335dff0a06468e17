using Microsoft.AspNetCore.SignalR;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Portal.Api;

namespace QuorumPortal.Portal.Hubs;

/// <summary>
/// The portal's live feed for everything that is not a page (scripts, other dashboards, latency tests), at
/// <see cref="Path"/>. A client joins an ensemble, gets its snapshot, then every event through
/// <see cref="IEnsembleClient.EventsReceived"/>. docs/hub.md describes the methods, payloads and guarantees.
/// </summary>
public sealed class EnsembleHub(EnsembleRegistry registry, EnsembleHubFanout fanout) : Hub<IEnsembleClient>
{
    public const string Path = "/hubs/ensembles";

    /// <summary>Every registered ensemble's latest snapshot, ordered by name (as <c>GET /api/ensembles</c>).</summary>
    public IReadOnlyList<EnsembleDto> ListEnsembles() => [.. registry.Ensembles.Select(EnsembleDto.From)];

    /// <summary>Starts delivering the ensemble's events to the caller and returns its current snapshot. Joining again is harmless.</summary>
    public EnsembleDto JoinEnsemble(string name) => fanout.Join(Context.ConnectionId, Find(name));

    /// <summary>Stops delivering the ensemble's events to the caller; false if it had not joined.</summary>
    public bool LeaveEnsemble(string name) => fanout.Leave(Context.ConnectionId, Find(name).Name);

    private RegisteredEnsemble Find(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new HubException("An ensemble name is required.");
        }

        if (!registry.TryGet(name, out var ensemble))
        {
            var known = registry.Ensembles.Select(e => e.Name).ToList();
            throw new HubException($"No ensemble named '{name}'. Known: {(known.Count == 0 ? "none" : string.Join(", ", known))}.");
        }

        return ensemble;
    }
}
