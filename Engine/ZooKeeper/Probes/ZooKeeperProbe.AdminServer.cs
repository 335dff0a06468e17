using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

public sealed partial class ZooKeeperProbe
{
    /// <summary>
    /// <c>server_stats</c>, then <c>monitor</c>, through the AdminServer: the same fields as <c>srvr</c> and <c>mntr</c>,
    /// two requests on the member's kept-alive connection. Null when the AdminServer gave no usable answer, so the
    /// caller falls back to four-letter words (which then say whether the member is down or looking).
    /// </summary>
    private async Task<MemberStatus?> ProbeAdminServerAsync(MemberSpec member, Uri commands, DateTimeOffset at, CancellationToken cancellationToken)
    {
        string statsText;
        SrvrReport srvr;
        PooledAnswer? monitor = null;
        MntrReport? mntr;
        try
        {
            using (var stats = await adminServer.ExchangeAsync(commands, "server_stats", cancellationToken).ConfigureAwait(false))
            {
                statsText = stats.ToString();
                try
                {
                    srvr = AdminServerParser.ParseServerStats(stats.Span) with { Source = statsText.AsMemory() };
                }
                catch (FormatException) when (AdminServerParser.IsNotServing(stats.Span))
                {
                    // Looked for only when the answer is not stats: finding "error" walks the whole object.
                    return Looking(member, at, "server_stats:\n" + statsText);
                }
            }

            monitor = await adminServer.ExchangeAsync(commands, "monitor", cancellationToken).ConfigureAwait(false);
            mntr = AdminServerParser.ParseMonitor(monitor.Span);
        }
        catch (Exception e) when (e is AdminServerException or FormatException)
        {
            // Refused, timed out, an HTTP error (3.8 answers monitor with 500 once it has lost its quorum) or JSON that
            // is not ZooKeeper's: the four-letter words tell what the member is doing.
            monitor?.Dispose();
            return null;
        }

        using (monitor)
        {
            return await CompleteAsync(member, at, srvr, new Answers("server_stats", statsText, "monitor", monitor),
                (raw, range) => mntr with { Source = raw.AsMemory()[range] }, ownConnections: 0, cancellationToken).ConfigureAwait(false);
        }
    }
}
