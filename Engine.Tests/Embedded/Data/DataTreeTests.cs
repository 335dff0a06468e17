using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Tests.Embedded.Data;

public sealed partial class DataTreeTests
{
    private const long Session = 0x100_0000_0001;
    private static readonly MemberSpec[] ThreeMembers = [Member(1), Member(2), Member(3)];

    private readonly DataTree _tree = new(ThreeMembers);
    private long _counter;

    [Fact]
    public void Constructor_Fresh_HasZooKeeperNodesAndConfig()
    {
        Assert.Equal(["zookeeper"], _tree.GetChildren("/"));
        Assert.Equal(["config", "quota"], _tree.GetChildren("/zookeeper"));
        var config = Encoding.UTF8.GetString(_tree.GetData("/zookeeper/config")!.Data);
        Assert.Equal(
            "server.1=127.0.0.1:2001:3001:participant;127.0.0.1:4001\n" +
            "server.2=127.0.0.1:2002:3002:participant;127.0.0.1:4002\n" +
            "server.3=127.0.0.1:2003:3003:participant;127.0.0.1:4003\n" +
            "version=0",
            config);
        Assert.Equal(0, _tree.LastProcessedZxid);
        Assert.Equal(0, _tree.ConfigVersion);
        Assert.Equal(5, _tree.NodeCount); // what a fresh ZooKeeper reports as zk_znode_count
        Assert.Equal(44 + config.Length, _tree.ApproximateDataSize); // 44 on a fresh standalone ZooKeeper
        Assert.Equal(new NodeStat(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0), _tree.Exists("/"));
    }

    [Fact]
    public void Create_Persistent_SetsStatsOfNodeAndParent()
    {
        var result = Apply(new CreateOp("/app", [1, 2, 3], CreateMode.Persistent), time: 1000);

        Assert.True(result.Succeeded);
        Assert.Equal("/app", result.Path);
        var zxid = _tree.LastProcessedZxid;
        Assert.Equal(new NodeStat(zxid, zxid, 1000, 1000, 0, 0, 0, 0, 3, 0, zxid), result.Stat);
        Assert.Equal(result.Stat, _tree.Exists("/app"));
        var root = _tree.Exists("/")!;
        Assert.Equal(1, root.Cversion);
        Assert.Equal(zxid, root.Pzxid);
        Assert.Equal(0, root.Mzxid);
        Assert.Equal(2, root.NumChildren);
        Assert.Equal([1, 2, 3], _tree.GetData("/app")!.Data);
    }

    [Fact]
    public void Create_MissingParent_NoNode()
    {
        Assert.Equal(CoordinationError.NoNode, Apply(new CreateOp("/a/b", [], CreateMode.Persistent)).Error);
    }

    [Fact]
    public void Create_Existing_NodeExists()
    {
        Apply(new CreateOp("/a", [], CreateMode.Persistent));

        Assert.Equal(CoordinationError.NodeExists, Apply(new CreateOp("/a", [], CreateMode.Persistent)).Error);
        Assert.Equal(CoordinationError.NodeExists, Apply(new CreateOp("/", [], CreateMode.Persistent)).Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("/a/")]
    [InlineData("//a")]
    [InlineData("/a//b")]
    [InlineData("/.")]
    [InlineData("/a/..")]
    [InlineData("/a/./b")]
    [InlineData("/a\0b")]
    [InlineData("/a\u0001")]
    [InlineData("/\ud800")]
    public void Create_InvalidPath_BadArguments(string path)
    {
        Assert.Equal(CoordinationError.BadArguments, Apply(new CreateOp(path, [], CreateMode.Persistent)).Error);
    }

    [Theory]
    [InlineData("/.a")]
    [InlineData("/a..")]
    [InlineData("/...")]
    [InlineData("/zookeeperish")]
    public void Create_UnusualButValidPath_Succeeds(string path)
    {
        Assert.True(Apply(new CreateOp(path, [], CreateMode.Persistent)).Succeeded);
    }

    [Fact]
    public void Write_UnderReservedZooKeeper_BadArgumentsButReadable()
    {
        Assert.Equal(CoordinationError.BadArguments, Apply(new CreateOp("/zookeeper/x", [], CreateMode.Persistent)).Error);
        Assert.Equal(CoordinationError.BadArguments, Apply(new CreateOp("/zookeeper", [], CreateMode.Persistent)).Error);
        Assert.Equal(CoordinationError.BadArguments, Apply(new SetDataOp("/zookeeper/config", [1], -1)).Error);
        Assert.Equal(CoordinationError.BadArguments, Apply(new SetDataOp("/zookeeper", [1], -1)).Error);
        Assert.Equal(CoordinationError.BadArguments, Apply(new DeleteOp("/zookeeper/quota", -1)).Error);
        Assert.Equal(CoordinationError.BadArguments, Apply(new DeleteOp("/zookeeper/missing", -1)).Error);

        Assert.NotNull(_tree.GetData("/zookeeper/config"));
        Assert.NotNull(_tree.Exists("/zookeeper/quota"));
    }

    [Fact]
    public void Create_Sequential_AppendsParentCversionBeforeIncrement()
    {
        Apply(new CreateOp("/q", [], CreateMode.Persistent));
        Apply(new CreateOp("/q/x", [], CreateMode.Persistent)); // cversion 0 → 1
        Apply(new DeleteOp("/q/x", -1)); // cversion 1 → 2

        var first = Apply(new CreateOp("/q/lock-", [], CreateMode.PersistentSequential));
        var second = Apply(new CreateOp("/q/lock-", [], CreateMode.PersistentSequential));

        Assert.Equal("/q/lock-0000000002", first.Path);
        Assert.Equal("/q/lock-0000000003", second.Path);
        Assert.Equal(4, _tree.Exists("/q")!.Cversion);
    }

    [Fact]
    public void Create_SequentialWithTrailingSlash_NameIsTheCounter()
    {
        Apply(new CreateOp("/q", [], CreateMode.Persistent));

        var result = Apply(new CreateOp("/q/", [], CreateMode.PersistentSequential));

        Assert.Equal("/q/0000000000", result.Path);
    }

    [Fact]
    public void Create_SequentialNameTaken_NodeExists()
    {
        Apply(new CreateOp("/q", [], CreateMode.Persistent));
        Apply(new CreateOp("/q/n0000000001", [], CreateMode.Persistent)); // parent cversion → 1

        var result = Apply(new CreateOp("/q/n", [], CreateMode.PersistentSequential));

        Assert.Equal(CoordinationError.NodeExists, result.Error);
        Assert.Equal(1, _tree.Exists("/q")!.Cversion);
    }

    [Fact]
    public void Delete_Leaf_UpdatesParentCversionAndPzxid()
    {
        Apply(new CreateOp("/a", [], CreateMode.Persistent));
        Apply(new CreateOp("/a/b", [9], CreateMode.Persistent));
        var sizeBefore = _tree.ApproximateDataSize;

        var result = Apply(new DeleteOp("/a/b", 0));

        Assert.True(result.Succeeded);
        Assert.Null(_tree.Exists("/a/b"));
        var parent = _tree.Exists("/a")!;
        Assert.Equal(2, parent.Cversion);
        Assert.Equal(_tree.LastProcessedZxid, parent.Pzxid);
        Assert.Equal(0, parent.NumChildren);
        Assert.Equal(sizeBefore - "/a/b".Length - 1, _tree.ApproximateDataSize);
        Assert.Empty(_tree.GetChildren("/a")!);
    }

    [Fact]
    public void Delete_Missing_NoNode()
    {
        Assert.Equal(CoordinationError.NoNode, Apply(new DeleteOp("/nope", -1)).Error);
    }

    [Fact]
    public void Delete_WrongVersion_BadVersion()
    {
        Apply(new CreateOp("/a", [], CreateMode.Persistent));
        Apply(new SetDataOp("/a", [1], -1));

        Assert.Equal(CoordinationError.BadVersion, Apply(new DeleteOp("/a", 0)).Error);
        Assert.True(Apply(new DeleteOp("/a", 1)).Succeeded);
    }

    [Fact]
    public void Delete_WithChildren_NotEmpty()
    {
        Apply(new CreateOp("/a", [], CreateMode.Persistent));
        Apply(new CreateOp("/a/b", [], CreateMode.Persistent));

        Assert.Equal(CoordinationError.NotEmpty, Apply(new DeleteOp("/a", -1)).Error);
    }

    [Fact]
    public void Delete_Root_BadArguments()
    {
        Assert.Equal(CoordinationError.BadArguments, Apply(new DeleteOp("/", -1)).Error);
    }

    [Fact]
    public void SetData_Matching_IncrementsVersionAndSetsMzxid()
    {
        Apply(new CreateOp("/a", [1], CreateMode.Persistent), time: 100);
        var created = _tree.Exists("/a")!;

        var result = Apply(new SetDataOp("/a", [1, 2], 0), time: 200);

        var zxid = _tree.LastProcessedZxid;
        Assert.Equal(new NodeStat(created.Czxid, zxid, 100, 200, 1, 0, 0, 0, 2, 0, created.Pzxid), result.Stat);
        Assert.Equal(result.Stat, _tree.Exists("/a"));
        Assert.Equal(0, _tree.Exists("/")!.Mzxid); // a child's data change is not the parent's
        Assert.Equal(1, _tree.Exists("/")!.Cversion);
    }

    [Fact]
    public void SetData_Missing_NoNode()
    {
        Assert.Equal(CoordinationError.NoNode, Apply(new SetDataOp("/nope", [], -1)).Error);
    }

    [Fact]
    public void SetData_WrongVersion_BadVersionAndUnchanged()
    {
        Apply(new CreateOp("/a", [1], CreateMode.Persistent));

        Assert.Equal(CoordinationError.BadVersion, Apply(new SetDataOp("/a", [2], 5)).Error);
        Assert.Equal([1], _tree.GetData("/a")!.Data);
        Assert.Equal(0, _tree.Exists("/a")!.Version);
    }

    [Fact]
    public void SetData_Root_Allowed()
    {
        Assert.True(Apply(new SetDataOp("/", [7], -1)).Succeeded);
        Assert.Equal([7], _tree.GetData("/")!.Data);
    }

    [Fact]
    public void Apply_ZxidNotAboveLast_Throws()
    {
        Apply(new CreateOp("/a", [], CreateMode.Persistent));
        var last = _tree.LastProcessedZxid;

        Assert.Throws<InvalidOperationException>(() => _tree.Apply(new Txn(last, 0, 0, 0, new DeleteOp("/a", -1))));
        Assert.Throws<InvalidOperationException>(() => _tree.Apply(new Txn(last - 1, 0, 0, 0, new DeleteOp("/a", -1))));
        Assert.NotNull(_tree.Exists("/a"));
    }

    [Fact]
    public void Apply_FailedOp_AdvancesZxidAndDigest()
    {
        var digest = _tree.Digest;

        var result = _tree.Apply(new Txn(Zxid.Make(1, 9), 0, 0, 0, new DeleteOp("/missing", -1)));

        Assert.Equal(CoordinationError.NoNode, result.Error);
        Assert.Equal(Zxid.Make(1, 9), _tree.LastProcessedZxid);
        Assert.NotEqual(digest, _tree.Digest);
    }

    [Fact]
    public void Apply_WithEncodedBytes_SameDigestAsEncodingItself()
    {
        var other = new DataTree(ThreeMembers);
        var txn = new Txn(1, 0, 1, 5, new CreateOp("/a", [1, 2], CreateMode.Persistent));

        _tree.Apply(txn);
        other.Apply(txn, TxnCodec.Encode(txn));

        Assert.Equal(_tree.Digest, other.Digest);
    }

    [Fact]
    public void Apply_WithoutResult_SameTreeButNoPathOrStat()
    {
        var other = new DataTree(ThreeMembers);
        Txn[] txns =
        [
            new(Zxid.Make(1, 1), 0, 1, 5, new CreateOp("/a", [1], CreateMode.PersistentSequential)),
            new(Zxid.Make(1, 2), 0, 2, 6, new SetDataOp("/a0000000000", [2, 3], -1)),
            new(Zxid.Make(1, 3), 0, 3, 7, new SetDataOp("/missing", [4], -1)),
            new(Zxid.Make(1, 4), 0, 4, 8, new DeleteOp("/a0000000000", -1)),
        ];

        var full = txns.Select(t => _tree.Apply(t, TxnCodec.Encode(t))).ToArray();
        var bare = txns.Select(t => other.Apply(t, TxnCodec.Encode(t), withResult: false)).ToArray();

        Assert.Equal(_tree.Digest, other.Digest);
        Assert.Equal(_tree.LastProcessedZxid, other.LastProcessedZxid);
        Assert.Equal("/a0000000000", full[0].Path);
        Assert.NotNull(full[1].Stat);
        Assert.All(new[] { bare[0], bare[1], bare[3] }, r => Assert.Same(TxnResult.Ok, r));
        Assert.Equal(CoordinationError.NoNode, bare[2].Error); // a failure is still reported
    }

    [Fact]
    public void Constructor_DifferentMembers_SameDigest()
    {
        // A joiner starts with a provisional membership; only the applied history may count.
        Assert.Equal(_tree.Digest, new DataTree([Member(1)]).Digest);
    }

    [Fact]
    public void Reads_InvalidPath_ThrowBadArguments()
    {
        Assert.Equal(CoordinationError.BadArguments, Assert.Throws<CoordinationException>(() => _tree.GetData("a")).Error);
        Assert.Equal(CoordinationError.BadArguments, Assert.Throws<CoordinationException>(() => _tree.Exists("/a/")).Error);
        Assert.Equal(CoordinationError.BadArguments, Assert.Throws<CoordinationException>(() => _tree.GetChildren("/a/../b")).Error);
    }

    [Fact]
    public void Reads_Missing_ReturnNull()
    {
        Assert.Null(_tree.GetData("/nope"));
        Assert.Null(_tree.Exists("/nope"));
        Assert.Null(_tree.GetChildren("/nope"));
    }

    [Fact]
    public void GetChildren_Many_SortedOrdinal()
    {
        foreach (var name in new[] { "b", "B", "a", "a-1", "_" })
        {
            Apply(new CreateOp("/" + name, [], CreateMode.Persistent));
        }

        Assert.Equal(["B", "_", "a", "a-1", "b", "zookeeper"], _tree.GetChildren("/"));
    }

    [Fact]
    public void GetData_CallerMutatesCopy_TreeUnchanged()
    {
        Apply(new CreateOp("/a", [1], CreateMode.Persistent));

        _tree.GetData("/a")!.Data[0] = 9;

        Assert.Equal([1], _tree.GetData("/a")!.Data);
    }

    private static MemberSpec Member(int id) =>
        new() { ServerId = id, QuorumPort = 2000 + id, ElectionPort = 3000 + id, ClientPort = 4000 + id };

    private void OpenSession(long sessionId) => Assert.True(Apply(new CreateSessionOp(30_000), sessionId).Succeeded);

    private TxnResult Apply(TxnOp op, long sessionId = 0, long time = 0)
    {
        _counter++;
        return _tree.Apply(new Txn(Zxid.Make(1, _counter), sessionId, (int)_counter, time == 0 ? _counter : time, op));
    }
}
