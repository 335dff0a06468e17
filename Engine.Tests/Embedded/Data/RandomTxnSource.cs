using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Tests.Embedded.Data;

/// <summary>
/// Seeded random transactions that hit success and every failure path: it looks at the tree it feeds so
/// most ops touch nodes that exist, and some are deliberately wrong (missing parents, bad versions,
/// reserved or invalid paths, unknown sessions).
/// </summary>
internal sealed class RandomTxnSource(int seed)
{
    private static readonly string[] Names = ["a", "b", "c", "lock-", "q", "zk"];
    private static readonly string[] Odd = ["", "/", "//x", "/a/", "/./b", "/a/..", "no-slash", "/a\0b", "/zookeeper/x", "/zookeeper", "/zookeeper/config"];

    private readonly Random _random = new(seed);
    private readonly List<string> _paths = ["/"];
    private readonly List<long> _sessions = [];
    private long _counter;

    public Txn Next(DataTree tree)
    {
        var zxid = Zxid.Make(1, ++_counter);
        var time = 1_700_000_000_000 + (_counter * 7);
        var roll = _random.Next(100);
        var session = PickSession();
        TxnOp op = roll switch
        {
            < 35 => new CreateOp(ChildPath(), Data(), (CreateMode)_random.Next(4)),
            < 55 => new SetDataOp(SomePath(), Data(), PickVersion()),
            < 75 => new DeleteOp(SomePath(), PickVersion()),
            < 85 => NewSession(out session),
            < 93 => new CloseSessionOp(),
            < 97 => new CreateOp(Odd[_random.Next(Odd.Length)], Data(), CreateMode.Persistent),
            _ => new ReconfigOp(Members()),
        };
        return new Txn(zxid, session, (int)_counter, time, op);
    }

    /// <summary>Applies <paramref name="txn"/> and learns which paths and sessions now exist.</summary>
    public TxnResult Apply(DataTree tree, Txn txn)
    {
        var result = tree.Apply(txn);
        if (result.Succeeded && txn.Op is CreateOp && result.Path is not null)
        {
            _paths.Add(result.Path);
        }

        if (txn.Op is CreateSessionOp && tree.Sessions.ContainsKey(txn.SessionId) && !_sessions.Contains(txn.SessionId))
        {
            _sessions.Add(txn.SessionId);
        }

        if (txn.Op is CloseSessionOp)
        {
            _sessions.Remove(txn.SessionId);
        }

        // Forget paths that are gone now and then, so the lists stay relevant.
        if (_paths.Count > 200)
        {
            _paths.RemoveAll(p => tree.Exists(p) is null);
        }

        return result;
    }

    public List<Txn> Run(DataTree tree, int count)
    {
        var txns = new List<Txn>(count);
        for (var i = 0; i < count; i++)
        {
            var txn = Next(tree);
            Apply(tree, txn);
            txns.Add(txn);
        }

        return txns;
    }

    private CreateSessionOp NewSession(out long session)
    {
        session = _random.Next(4) == 0 && _sessions.Count > 0 ? _sessions[0] : _random.NextInt64(1, long.MaxValue);
        return new CreateSessionOp(_random.Next(4_000, 40_000));
    }

    private long PickSession() => _sessions.Count > 0 && _random.Next(5) > 0
        ? _sessions[_random.Next(_sessions.Count)]
        : _random.NextInt64(1, 1_000);

    private string SomePath() => _random.Next(10) == 0 ? "/missing/" + _random.Next(5) : _paths[_random.Next(_paths.Count)];

    private string ChildPath()
    {
        var parent = _random.Next(10) == 0 ? "/missing" : _paths[_random.Next(_paths.Count)];
        var name = Names[_random.Next(Names.Length)];
        return parent == "/" ? "/" + name : parent + "/" + name;
    }

    private int PickVersion() => _random.Next(3) switch
    {
        0 => -1,
        1 => _random.Next(3),
        _ => 0,
    };

    private byte[] Data()
    {
        var data = new byte[_random.Next(4) == 0 ? _random.Next(1, 1025) : _random.Next(0, 16)];
        _random.NextBytes(data);
        return data;
    }

    private MemberSpec[] Members()
    {
        var count = _random.Next(0, 6);
        return [.. Enumerable.Range(1, count).Select(id => new MemberSpec
        {
            ServerId = id,
            Role = _random.Next(4) == 0 ? MemberRole.Observer : MemberRole.Participant,
            QuorumPort = 2000 + id,
            ElectionPort = 3000 + id,
            ClientPort = 4000 + id,
        })];
    }
}
