using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Embedded.Runtime;

namespace QuorumPortal.Engine.Embedded.Simulation;

/// <summary>
/// A workload client in virtual time: one request at a time, creates of unique znodes, versioned sets of
/// its own key and reads of what it wrote; every acknowledged write goes into the <see cref="WriteLedger"/>.
/// It never retries a write whose outcome is unknown, so a znode that appears twice is the protocol's doing.
/// </summary>
internal sealed class SimClient : IClientConnection
{
    private readonly int _id;
    private readonly SimulatedEnsemble _ensemble;
    private readonly SimulatedLoop _loop;
    private readonly Random _random;
    private readonly WriteLedger _ledger;
    private QuorumPeer? _server;
    private long _sessionId;
    private long _lastZxid;
    private int _cxid;
    private bool _connected;
    private bool _connecting;
    private int _creates;
    private int _sets;
    private int _knownVersion = -2; // -2: unknown, re-read before setting
    private bool _keyCreated;
    private (int Cxid, string Kind, string Path, byte[] Data)? _pending;
    private readonly List<(string Path, byte[] Data)> _acked = [];

    public SimClient(int id, SimulatedEnsemble ensemble, WriteLedger ledger)
    {
        _id = id;
        _ensemble = ensemble;
        _ledger = ledger;
        _loop = ensemble.Scheduler.CreateLoop($"client-{id}");
        _random = new Random(ensemble.Scheduler.Random.Next());
    }

    public bool Running { get; set; } = true;

    public string Key => $"/k{_id}";

    public long Completed { get; private set; }

    public void Start() => _loop.Post(Connect);

    public void Stop()
    {
        Running = false;
        _loop.Stop();
    }

    private void Connect()
    {
        if (!Running || _connected || _connecting)
        {
            return;
        }

        var candidates = _ensemble.Peers.Values.ToList();
        if (candidates.Count == 0)
        {
            Retry();
            return;
        }

        var server = candidates[_random.Next(candidates.Count)];
        _server = server;
        _connecting = true;
        var session = _sessionId;
        var zxid = _lastZxid;
        server.Loop.Post(() => server.ClientConnect(this, session, 4000, zxid));
        var attempt = server;
        _loop.Schedule(TimeSpan.FromSeconds(2), () =>
        {
            if (_connecting && _server == attempt)
            {
                _connecting = false;
                attempt.Loop.Post(() => attempt.ClientDisconnect(this));
                Retry();
            }
        });
    }

    private void Retry() => _loop.Schedule(TimeSpan.FromMilliseconds(50 + _random.Next(150)), Connect);

    public void OnConnected(long sessionId, int negotiatedTimeoutMs, int serverId, long sessionZxid)
    {
        _loop.Post(() =>
        {
            if (!_connecting || _server?.ServerId != serverId)
            {
                return;
            }

            _connecting = false;
            _connected = true;
            _sessionId = sessionId;
            ScheduleNext();
        });
    }

    public void OnDisconnected(CoordinationError reason)
    {
        _loop.Post(() =>
        {
            _connected = false;
            _connecting = false;
            if (_pending is { } p)
            {
                _ledger.Unknown(p.Path);
                _pending = null;
            }

            if (reason == CoordinationError.SessionExpired)
            {
                _sessionId = 0;
            }

            Retry();
        });
    }

    public void OnReply(ClientReply reply) => _loop.Post(() => Handle(reply));

    private void ScheduleNext()
    {
        if (Running)
        {
            _loop.Schedule(TimeSpan.FromMilliseconds(1 + _random.Next(20)), Issue);
        }
    }

    private void Issue()
    {
        if (!Running || !_connected || _pending is not null || _server is null)
        {
            return;
        }

        var roll = _random.Next(100);
        ClientOp op;
        if (!_keyCreated)
        {
            var data = Encoding.UTF8.GetBytes($"{_id}:0");
            _pending = (++_cxid, "key", Key, data);
            op = new WriteOp(new CreateOp(Key, data, CreateMode.Persistent));
        }
        else if (_knownVersion == -2 || roll < 15 && _acked.Count > 0)
        {
            var path = _knownVersion == -2 || _acked.Count == 0 ? Key : _acked[_random.Next(_acked.Count)].Path;
            _pending = (++_cxid, "read", path, []);
            op = new ReadOp(ReadKind.GetData, path);
        }
        else if (roll < 45)
        {
            var data = Encoding.UTF8.GetBytes($"{_id}:set:{++_sets}");
            _pending = (++_cxid, "set", Key, data);
            op = new WriteOp(new SetDataOp(Key, data, _knownVersion));
        }
        else
        {
            var path = $"/w{_id}-{++_creates}";
            var data = Encoding.UTF8.GetBytes($"{_id}:create:{_creates}:{_ensemble.Scheduler.Now.Ticks}");
            _pending = (++_cxid, "create", path, data);
            op = new WriteOp(new CreateOp(path, data, CreateMode.Persistent));
        }

        var server = _server;
        var cxid = _cxid;
        server.Loop.Post(() => server.ClientSubmit(this, cxid, op));
        _loop.Schedule(TimeSpan.FromSeconds(3), () =>
        {
            if (_pending?.Cxid == cxid && _server == server)
            {
                // No answer: treat the connection as lost, like a client's request timeout.
                server.Loop.Post(() => server.ClientDisconnect(this));
                OnDisconnected(CoordinationError.ConnectionLoss);
            }
        });
    }

    private void Handle(ClientReply reply)
    {
        if (_pending is not { } p || p.Cxid != reply.Cxid)
        {
            return;
        }

        _pending = null;
        _lastZxid = Math.Max(_lastZxid, reply.Zxid);
        Completed++;
        switch (p.Kind)
        {
            case "key":
                _keyCreated = reply.Error is null or CoordinationError.NodeExists;
                if (reply.Error is null)
                {
                    _ledger.Acked(p.Path, p.Data, 0);
                    _knownVersion = 0;
                }
                else
                {
                    _knownVersion = -2;
                }

                break;
            case "create":
                if (reply.Error is null)
                {
                    _ledger.Acked(p.Path, p.Data, 0);
                    _acked.Add((p.Path, p.Data));
                }
                else if (reply.Error == CoordinationError.NodeExists)
                {
                    _ledger.Violation($"create {p.Path} answered NodeExists: the request was applied twice");
                }
                else
                {
                    _ledger.NotApplied(p.Path, reply.Error.Value);
                }

                break;
            case "set":
                if (reply.Error is null && reply.Result is NodeStat stat)
                {
                    _ledger.Acked(p.Path, p.Data, stat.Version);
                    _knownVersion = stat.Version;
                }
                else
                {
                    _knownVersion = -2;
                }

                break;
            case "read":
                if (reply.Error is null && reply.Result is NodeData data)
                {
                    if (p.Path == Key)
                    {
                        _knownVersion = data.Stat.Version;
                    }

                    _ledger.CheckRead(p.Path, data, _id);
                }
                else if (reply.Error == CoordinationError.NoNode)
                {
                    _ledger.Violation($"client {_id} read {p.Path} after its create was acknowledged, and it was not there");
                }

                break;
        }

        ScheduleNext();
    }
}
