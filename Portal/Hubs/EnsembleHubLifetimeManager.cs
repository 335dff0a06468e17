using Microsoft.AspNetCore.SignalR;

namespace QuorumPortal.Portal.Hubs;

/// <summary>
/// SignalR's in-memory lifetime manager for <see cref="EnsembleHub"/>, which also hands each connection to the
/// fan-out: only here does a connection's <see cref="HubConnectionContext"/> (and so a write that can be
/// watched one connection at a time) become available.
/// </summary>
internal sealed class EnsembleHubLifetimeManager(EnsembleHubFanout fanout, ILogger<DefaultHubLifetimeManager<EnsembleHub>> logger)
    : DefaultHubLifetimeManager<EnsembleHub>(logger)
{
    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await base.OnConnectedAsync(connection).ConfigureAwait(false);
        fanout.Connected(connection);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        fanout.Disconnected(connection);
        await base.OnDisconnectedAsync(connection).ConfigureAwait(false);
    }
}
