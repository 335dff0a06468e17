using System.Net;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

public sealed partial class ZooKeeperProbe
{
    /// <summary>
    /// Probes <paramref name="member"/> as <see cref="ProbeAsync(MemberSpec, Uri?, CancellationToken)"/> does, then
    /// reads <paramref name="detail"/>: for <see cref="ProbeDetail.Clients"/>, the AdminServer's <c>connections</c> when
    /// it answers, else the <c>cons</c> four-letter word. Both give the same list; <c>cons</c> leaves out its own
    /// connection (the probe's, found by its address), as <see cref="MemberStatus.Connections"/> does.
    /// </summary>
    public Task<MemberStatus> ProbeAsync(MemberSpec member, Uri? adminServer, ProbeDetail detail, CancellationToken cancellationToken) =>
        detail.HasFlag(ProbeDetail.Clients)
            ? ProbeWithClientsAsync(member, adminServer, cancellationToken)
            : ProbeAsync(member, adminServer, cancellationToken);

    private async Task<MemberStatus> ProbeWithClientsAsync(MemberSpec member, Uri? adminServer, CancellationToken cancellationToken)
    {
        var status = await ProbeAsync(member, adminServer, cancellationToken).ConfigureAwait(false);
        if (!status.IsServing)
        {
            // ZooKeeper lists connections only while it serves (cons answers "not currently serving requests").
            return status with { ClientsError = status.State == PeerState.Down ? "the member did not answer" : "the member is not serving requests" };
        }

        var (clients, error) = await ClientsAsync(member, adminServer, cancellationToken).ConfigureAwait(false);
        return status with { Clients = clients, ClientsError = error };
    }

    private async Task<(IReadOnlyList<ClientConnection>? Clients, string? Error)> ClientsAsync(MemberSpec member, Uri? commands, CancellationToken cancellationToken)
    {
        if (commands is not null && !(_adminServerSilentUntil.TryGetValue(commands, out var silentUntil) && time.GetUtcNow() < silentUntil))
        {
            try
            {
                using var answer = await adminServer.ExchangeAsync(commands, "connections", cancellationToken).ConfigureAwait(false);
                return (AdminServerParser.ParseConnections(answer.Memory), null);
            }
            catch (Exception e) when (e is AdminServerException or FormatException)
            {
                // As for the status: the four-letter word tells what the member says.
            }
        }

        try
        {
            using var answer = await client.ExchangeAsync(member.Host, member.ClientPort, "cons", cancellationToken, withLocalEndPoint: true).ConfigureAwait(false);
            var own = Normalize(answer.LocalEndPoint);
            var all = ConsParser.Parse(answer.ToString());
            return ([.. all.Where(c => own is null || c.Address is null || !own.Equals(Normalize(c.Address)))], null);
        }
        catch (FourLetterWordException e)
        {
            return (null, e.Message);
        }
        catch (FormatException e)
        {
            return (null, $"{member.Host}:{member.ClientPort} gave a cons answer the probe cannot read: {e.Message}");
        }
    }

    private static IPEndPoint? Normalize(string address) => Normalize(IPEndPoint.TryParse(address, out var endPoint) ? endPoint : null);

    // A dual-mode socket reports an IPv4 peer as ::ffff:a.b.c.d; ZooKeeper (Java) prints a.b.c.d.
    private static IPEndPoint? Normalize(IPEndPoint? endPoint) =>
        endPoint is { Address.IsIPv4MappedToIPv6: true } ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
}
