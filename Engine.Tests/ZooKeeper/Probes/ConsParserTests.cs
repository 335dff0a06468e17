using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary>
/// <c>cons</c> answers captured from a real 3.8.0 ensemble of 3 participants (tickTime 200): the leader with two
/// zkCli sessions (one created /cap, one listed / and read it), a follower with one (set /cap), each answer with the
/// capturing word's own connection in it (no session); and a member without quorum.
/// </summary>
[Trait("Category", "ZooKeeper")]
public sealed class ConsParserTests
{
    [Fact]
    public void Parse_RealLeaderWithTwoSessions_ReadsEveryField()
    {
        var connections = ConsParser.Parse(ProbeData.Read("leader-clients.cons.txt"));

        Assert.Equal(3, connections.Count);
        var word = connections[0];
        Assert.Equal(new ClientConnection { Address = "127.0.0.1:34562", Queued = 0, Received = 1, Sent = 0 }, word);

        Assert.Equal(new ClientConnection
        {
            Address = "127.0.0.1:40370",
            Queued = 0,
            Received = 20,
            Sent = 20,
            SessionId = 0x30000c85bbf0000,
            LastOperation = "PING",
            Established = DateTimeOffset.FromUnixTimeMilliseconds(1795648571342),
            SessionTimeout = TimeSpan.FromMilliseconds(4000),
            LastCxid = 1,
            LastZxid = 0x100000005,
            LastResponseMs = 13166548,
            LastLatency = 0,
            MinLatency = 0,
            AvgLatency = 1,
            MaxLatency = 13,
        }, connections[1]);
        Assert.Equal((0x30000c85bbf0001L, 2L, 12.0), (connections[2].SessionId!.Value, connections[2].LastCxid!.Value, connections[2].MaxLatency!.Value));
    }

    [Fact]
    public void Parse_RealFollowerWithOneSession_SessionAndTheWordsConnection()
    {
        var connections = ConsParser.Parse(ProbeData.Read("follower-clients.cons.txt"));

        Assert.Equal(2, connections.Count);
        Assert.Equal(0x10000c85b880000, connections[0].SessionId);
        Assert.Equal("127.0.0.1:51140", connections[0].Address);
        Assert.Null(connections[1].SessionId);
        Assert.Null(connections[1].LastOperation);
    }

    [Fact]
    public void Parse_OnlyTheWordsOwnConnection_OneConnectionWithoutSession()
    {
        var connection = Assert.Single(ConsParser.Parse(ProbeData.Read("leader.cons.txt")));

        Assert.Equal(("127.0.0.1:47368", 1L, 0L), (connection.Address, connection.Received, connection.Sent));
        Assert.Null(connection.SessionId);
    }

    [Fact]
    public void Parse_NoQuorum_ThrowsNotServing()
    {
        var e = Assert.Throws<FormatException>(() => ConsParser.Parse(ProbeData.Read("looking.cons.txt")));

        Assert.Contains("not serving requests", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FieldsReorderedAndUnknownOnesAdded_SameConnection()
    {
        const string usual = " /127.0.0.1:40370[1](queued=0,recved=20,sent=20,sid=0x30000c85bbf0000,lop=PING,est=1795648571342,to=4000,lcxid=0x1,lzxid=0x100000005,lresp=13166548,llat=0,minlat=0,avglat=1,maxlat=13)\n\n";
        const string shuffled = " /127.0.0.1:40370[1](maxlat=13,sid=0x30000c85bbf0000,future=x,sent=20,lop=PING,avglat=1,to=4000,queued=0,lzxid=0x100000005,tls=true,est=1795648571342,recved=20,lresp=13166548,minlat=0,llat=0,lcxid=0x1)\r\n";

        Assert.Equal(Assert.Single(ConsParser.Parse(usual)), Assert.Single(ConsParser.Parse(shuffled)));
    }

    [Theory]
    [InlineData(" /[0:0:0:0:0:0:0:1]:5000[1](queued=0,recved=2,sent=2)", "[0:0:0:0:0:0:0:1]:5000")]
    [InlineData(" client.example/10.0.0.7:5000[0](queued=0,recved=1,sent=0)", "10.0.0.7:5000")]
    [InlineData(" null[0](queued=0,recved=1,sent=0)", null)]
    public void Parse_AddressForms_IpAndPortAsTheAdminServerWritesThem(string line, string? address)
    {
        Assert.Equal(address, Assert.Single(ConsParser.Parse(line)).Address);
    }

    [Fact]
    public void Parse_NoZxidYet_LastZxidNull()
    {
        // Long.toHexString(-1): a session whose first reply has not gone out.
        var connection = Assert.Single(ConsParser.Parse(" /127.0.0.1:1[1](queued=1,recved=1,sent=0,sid=0x1,lop=NA,est=0,to=4000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)"));

        Assert.Null(connection.LastZxid);
        Assert.Null(connection.LastCxid);
        Assert.Equal(1, connection.Queued);
    }

    [Theory]
    [InlineData("Zookeeper version: 3.8.0\nMode: leader\n", "cons line 1 is not 'address[ops](key=value,…)'")]
    [InlineData(" /127.0.0.1:1[1](queued=0,recved=1,sent=0", "cons line 1 is not 'address[ops](key=value,…)'")]
    [InlineData(" /127.0.0.1:1[zz](queued=0,recved=1,sent=0)", "cons line 1 has interest ops that are not hex")]
    [InlineData(" localhost[1](queued=0,recved=1,sent=0)", "cons line 1 does not start with an address")]
    [InlineData(" /127.0.0.1:1[1](queued=0,recved,sent=0)", "cons line 1 has a field that is not key=value (\"recved\")")]
    [InlineData(" /127.0.0.1:1[1](queued=0,recved=1,sent=0)\n /127.0.0.1:2[1](queued=0,recved=many,sent=0)", "cons line 2: 'recved' must be an integer (was \"many\")")]
    [InlineData(" /127.0.0.1:1[1](queued=0,recved=1,sent=0,sid=12)", "cons line 1: 'sid' must be hex such as 0x30000c85bbf0000 (was \"12\")")]
    [InlineData(" /127.0.0.1:1[1](queued=0,sent=0)", "cons line 1 has no 'recved=' field (is this a ZooKeeper cons answer?)")]
    [InlineData(" /127.0.0.1:1[1](queued=0,recved=1,sent=0,avglat=-3)", "cons line 1: 'avglat' must be ms (was \"-3\")")]
    public void Parse_Garbage_ThrowsNamingTheLineAndTheProblem(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => ConsParser.Parse(text));

        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Empty_NoConnections()
    {
        Assert.Empty(ConsParser.Parse("\n"));
    }
}
