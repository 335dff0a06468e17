using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Tests.Embedded.Data;

/// <summary>Sessions, ephemerals and reconfiguration.</summary>
public sealed partial class DataTreeTests
{
    [Fact]
    public void Create_UnderEphemeral_NoChildrenForEphemerals()
    {
        OpenSession(Session);
        Apply(new CreateOp("/e", [], CreateMode.Ephemeral), Session);

        var result = Apply(new CreateOp("/e/child", [], CreateMode.Persistent));

        Assert.Equal(CoordinationError.NoChildrenForEphemerals, result.Error);
    }

    [Fact]
    public void Create_Ephemeral_OwnedBySession()
    {
        OpenSession(Session);

        var result = Apply(new CreateOp("/e", [], CreateMode.EphemeralSequential), Session);

        Assert.Equal("/e0000000000", result.Path);
        Assert.Equal(Session, result.Stat!.EphemeralOwner);
        Assert.Equal(["/e0000000000"], _tree.EphemeralsOf(Session));
        Assert.Equal(1, _tree.EphemeralCount);
    }

    [Fact]
    public void Create_EphemeralWithUnknownSession_SessionExpired()
    {
        var result = Apply(new CreateOp("/e", [], CreateMode.Ephemeral), sessionId: 42);

        Assert.Equal(CoordinationError.SessionExpired, result.Error);
        Assert.Null(_tree.Exists("/e"));
    }

    [Fact]
    public void Create_PersistentWithUnknownSession_Succeeds()
    {
        Assert.True(Apply(new CreateOp("/p", [], CreateMode.Persistent), sessionId: 42).Succeeded);
        Assert.Equal(0, _tree.Exists("/p")!.EphemeralOwner);
    }

    [Fact]
    public void CreateSession_Twice_KeepsFirstTimeoutAndSucceeds()
    {
        Assert.True(Apply(new CreateSessionOp(10_000), Session).Succeeded);
        Assert.True(Apply(new CreateSessionOp(30_000), Session).Succeeded);

        Assert.Equal(10_000, _tree.Sessions[Session]);
        Assert.Single(_tree.Sessions);
    }

    [Fact]
    public void CloseSession_WithEphemerals_DeletesThemAndTheSession()
    {
        OpenSession(Session);
        OpenSession(Session + 1);
        Apply(new CreateOp("/p", [], CreateMode.Persistent));
        Apply(new CreateOp("/p/e1", [1], CreateMode.Ephemeral), Session);
        Apply(new CreateOp("/p/e2", [], CreateMode.Ephemeral), Session);
        Apply(new CreateOp("/e3", [], CreateMode.Ephemeral), Session);
        Apply(new CreateOp("/other", [], CreateMode.Ephemeral), Session + 1);
        var nodesBefore = _tree.NodeCount;

        var result = Apply(new CloseSessionOp(), Session);

        Assert.True(result.Succeeded);
        Assert.False(_tree.Sessions.ContainsKey(Session));
        Assert.Empty(_tree.EphemeralsOf(Session));
        Assert.Equal(nodesBefore - 3, _tree.NodeCount);
        Assert.Equal(["other", "p", "zookeeper"], _tree.GetChildren("/"));
        Assert.Empty(_tree.GetChildren("/p")!);
        var p = _tree.Exists("/p")!;
        Assert.Equal(4, p.Cversion); // two creates, two deletes
        Assert.Equal(_tree.LastProcessedZxid, p.Pzxid);
        Assert.Equal(["/other"], _tree.EphemeralsOf(Session + 1));
    }

    [Fact]
    public void CloseSession_Unknown_SucceedsAsNoOp()
    {
        var digest = _tree.Digest;

        Assert.True(Apply(new CloseSessionOp(), 77).Succeeded);
        Assert.NotEqual(digest, _tree.Digest);
    }

    [Fact]
    public void Reconfig_NewMembers_RewritesConfigNode()
    {
        MemberSpec[] members = [Member(5), Member(2) with { Role = MemberRole.Observer }];

        var result = Apply(new ReconfigOp(members), time: 500);

        var zxid = _tree.LastProcessedZxid;
        Assert.True(result.Succeeded);
        Assert.Equal("/zookeeper/config", result.Path);
        Assert.Equal(zxid, _tree.ConfigVersion);
        Assert.Equal(members, _tree.Members);
        var config = _tree.GetData("/zookeeper/config")!;
        Assert.Equal(
            "server.2=127.0.0.1:2002:3002:observer;127.0.0.1:4002\n" +
            "server.5=127.0.0.1:2005:3005:participant;127.0.0.1:4005\n" +
            $"version={zxid:x}",
            Encoding.UTF8.GetString(config.Data));
        Assert.Equal(zxid, config.Stat.Mzxid);
        Assert.Equal(500, config.Stat.Mtime);
        Assert.Equal(result.Stat, config.Stat);
    }

    [Fact]
    public void Reconfig_DuplicateOrNoMembers_BadArguments()
    {
        Assert.Equal(CoordinationError.BadArguments, Apply(new ReconfigOp([Member(1), Member(1)])).Error);
        Assert.Equal(CoordinationError.BadArguments, Apply(new ReconfigOp([])).Error);
        Assert.Equal(ThreeMembers, _tree.Members);
        Assert.Equal(0, _tree.ConfigVersion);
    }
}
