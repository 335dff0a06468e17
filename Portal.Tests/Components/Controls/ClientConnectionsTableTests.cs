using Bunit;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Portal.Components.Controls;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Controls;

public sealed class ClientConnectionsTableTests : DashboardTest
{
    // As ConsParser reads a real 3.8.0 leader's cons: a zkCli session, and a four-letter word's connection.
    private static readonly ClientConnection Session = new()
    {
        Address = "127.0.0.1:40370",
        Received = 20,
        Sent = 20,
        SessionId = 0x30000c85bbf0000,
        LastOperation = "PING",
        Established = DateTimeOffset.FromUnixTimeMilliseconds(1795648571342),
        SessionTimeout = TimeSpan.FromSeconds(4),
        LastCxid = 1,
        LastZxid = 0x100000005,
        LastLatency = 0,
        MinLatency = 0,
        AvgLatency = 1,
        MaxLatency = 13,
    };

    private static readonly ClientConnection Word = new() { Address = "127.0.0.1:34562", Queued = 1234, Received = 1 };

    [Fact]
    public void Render_ZooKeeperConnections_OneRowEachWithTheConsFields()
    {
        var cut = Context.Bunit.Render<ClientConnectionsTable>(p => p.Add(x => x.Clients, [Session, Word]));

        Assert.Equal("2", cut.Find("[data-clients]").GetAttribute("data-clients"));
        var rows = cut.FindAll("tbody tr");
        Assert.Equal(2, rows.Count);
        Assert.Equal("0x30000c85bbf0000", rows[0].GetAttribute("data-session"));
        Assert.Equal(["127.0.0.1:40370", "0x30000c85bbf0000", "PING", "0", "20", "20", "0/1/13 ms"], rows[0].QuerySelectorAll("td").Select(td => td.TextContent));
        Assert.Contains("session timeout 4.0 s", rows[0].GetAttribute("title"), StringComparison.Ordinal);
        Assert.Contains("last zxid 0x100000005", rows[0].GetAttribute("title"), StringComparison.Ordinal);
        // No session: nothing invented for it.
        Assert.Equal(["127.0.0.1:34562", "—", "—", "1,234", "1", "0", "—"], rows[1].QuerySelectorAll("td").Select(td => td.TextContent));
    }

    [Fact]
    public void Render_NotListed_SaysWhyInTheBackendsWords()
    {
        const string why = "cons to 127.0.0.1:2181: 'cons' is not in the member's 4lw.commands.whitelist; add it to zoo.cfg";

        var cut = Context.Bunit.Render<ClientConnectionsTable>(p => p.Add(x => x.Error, why));

        Assert.Equal("none", cut.Find("[data-clients]").GetAttribute("data-clients"));
        Assert.Equal($"Client connections are not available: {why}", cut.Find("[data-clients-error]").TextContent);
        Assert.Empty(cut.FindAll("table"));
    }

    [Fact]
    public void Render_NoConnections_SaysNoClient()
    {
        var cut = Context.Bunit.Render<ClientConnectionsTable>(p => p.Add(x => x.Clients, Array.Empty<ClientConnection>()));

        Assert.Equal("No client is connected.", cut.Find("p").TextContent);
    }

    [Fact]
    public void Latency_EmbeddedFractions_TwoDecimalsAtMost()
    {
        Assert.Equal("0.45/5.54/12.02 ms", ClientConnectionsTable.Latency(new ClientConnection { MinLatency = 0.4471, AvgLatency = 5.5447, MaxLatency = 12.0187 }));
    }
}
