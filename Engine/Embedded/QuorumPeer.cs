using System.Collections.Concurrent;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Embedded.Runtime;
using QuorumPortal.Engine.Embedded.Storage;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded;

/// <summary>
/// One embedded quorum member: ZooKeeper's QuorumPeer with fast leader election, ZAB discovery,
/// synchronisation and broadcast, sessions and a znode tree. Everything runs on <see cref="Loop"/>;
/// the public entry points post onto it. Split by concern: Election, Leader, Learner, Clients.
/// </summary>
internal sealed partial class QuorumPeer : INetworkEndpoint
{
    private readonly int _myId;
    private readonly MemberSpec _self;
    private readonly EnsembleSettings _settings;
    private readonly EmbeddedOptions _options;
    private readonly INodeStorage _storage;
    private readonly InMemoryNetwork _network;
    private readonly Random _random;
    private readonly IPeerObserver? _observer;
    private readonly IReadOnlyList<MemberSpec> _initialMembers;
    private readonly LogWindow _log;
    private readonly TimeSpan _tick;
    private readonly ConcurrentDictionary<IClientConnection, byte> _liveConnections = new();
    private readonly Action _flushLog;
    private readonly Action _flushReported;
    private readonly Action _flushDone;

    // Loop only: the flushes handed to the storage and not yet reported, oldest first (cached delegates and this
    // queue keep a flush free of allocations; there is one per group commit).
    private readonly Queue<(long UpTo, int Generation)> _flushesInFlight = new();

    private DataTree _tree = null!;
    private IReadOnlyList<MemberSpec> _view = [];
    private IReadOnlyList<MemberSpec> _viewMembers = [];
    private long _viewVersion;
    private (long Version, IReadOnlyList<MemberSpec> Members)? _adoptedConfig;
    private HashSet<int> _voters = [];
    private HashSet<int>[] _votersOnly = [[]]; // [_voters], shared by every proposal made outside a reconfiguration
    private bool _isVoter;
    private IDisposable? _tickTimer;
    private bool _flushScheduled;

    // Every logged record up to this zxid is as durable as the fsync policy promises (acks and the leader's own vote wait for it).
    private long _durableZxid;
    private int _flushGeneration;
    private long _txnsSinceSnapshot;
    private long _snapshotThreshold;
    private bool _started;

    // Statistics, as ZooKeeper's mntr reports them.
    private long _packetsReceived;
    private long _packetsSent;
    private long _readsServed;
    private long _writesServed;
    private double _latencyMin = double.NaN;
    private double _latencyMax;
    private double _latencySum;
    private long _latencyCount;
    private DateTimeOffset? _lastHeartbeat;

    public QuorumPeer(
        MemberSpec self,
        IReadOnlyList<MemberSpec> initialMembers,
        EnsembleSettings settings,
        EmbeddedOptions options,
        INodeStorage storage,
        IEventLoop loop,
        InMemoryNetwork network,
        Random random,
        IPeerObserver? observer = null)
    {
        _self = self;
        _myId = self.ServerId;
        _initialMembers = initialMembers;
        _settings = settings;
        _options = options;
        _storage = storage;
        Loop = loop;
        _network = network;
        _random = random;
        _observer = observer;
        _log = new LogWindow(options.CommittedLogCapacity);
        _tick = TimeSpan.FromMilliseconds(settings.TickTime);
        _flushLog = FlushLog;
        _flushDone = FlushDone;
        _flushReported = () => Loop.Post(_flushDone);
    }

    public int ServerId => _myId;

    public IEventLoop Loop { get; }

    public PeerState State { get; private set; } = PeerState.Looking;

    public ZabPhase Phase { get; private set; } = ZabPhase.Election;

    public int? LeaderId { get; private set; }

    /// <summary>The node was removed from the configuration and takes no further part.</summary>
    public bool IsRemoved { get; private set; }

    /// <summary>Current epoch (persisted), for diagnostics on the loop.</summary>
    public long CurrentEpoch => _storage.CurrentEpoch;

    public long LastLoggedZxid => _log.LastZxid;

    public long AppliedZxid => _tree.LastProcessedZxid;

    public ulong Digest => _tree.Digest;

    /// <summary>The tree, for reads on the loop (tests and the checker).</summary>
    public DataTree Tree => _tree;

    private TimeSpan Now => Loop.Now;

    private TimeSpan FinalizeWait => _options.EffectiveFinalizeWait(_settings.TickTime);

    // A bit test: Enum.HasFlag boxes in unoptimised code, and IsAcked asks once per outstanding proposal.
    private bool HasDefect(ProtocolDefects defect) => (_options.Defects & defect) != 0;

    /// <summary>Recovers from storage and starts looking for a leader. Call on the loop (or before it runs anything).</summary>
    public void Start()
    {
        if (_started)
        {
            return;
        }

        _started = true;
        Recover();
        _network.Attach(_myId, this, Loop);
        var half = TimeSpan.FromTicks(Math.Max(_tick.Ticks / 2, TimeSpan.TicksPerMillisecond));
        ScheduleTick(half);
        StartLooking("started");
    }

    /// <summary>
    /// A crash: the loop stops, all memory is dropped, peers see connections reset and clients see
    /// connection loss. Safe from any thread. Storage keeps only what was appended.
    /// </summary>
    public void Crash()
    {
        Loop.Stop();
        _network.Detach(_myId, crash: true);
        DisconnectAllFromOutside();
    }

    /// <summary>A graceful stop: connections are closed, the log flushed, then the loop stops. Call on the loop.</summary>
    public void Shutdown()
    {
        LeaveRole();
        DisconnectClients(Backends.CoordinationError.ConnectionLoss);
        _storage.Flush();
        Loop.Stop();
        _network.Detach(_myId, crash: false);
        DisconnectAllFromOutside();
    }

    private void DisconnectAllFromOutside()
    {
        foreach (var connection in _liveConnections.Keys)
        {
            connection.OnDisconnected(Backends.CoordinationError.ConnectionLoss);
        }

        _liveConnections.Clear();
    }

    private void Recover()
    {
        var snapshot = _storage.LoadLatestSnapshot();
        _tree = snapshot is { } s ? DataTree.Deserialize(s.Data) : new DataTree(_initialMembers);
        _log.Reset(_tree.LastProcessedZxid);

        // Like ZooKeeper's loadDataBase, replay everything logged, committed or not: a TRUNC from the next
        // leader removes what was never committed.
        foreach (var (zxid, record) in _storage.ReadLog(_tree.LastProcessedZxid))
        {
            var txn = TxnCodec.Decode(record);
            var entry = new LogEntry(txn, record);
            _log.Add(entry);
            _tree.Apply(txn, record);
        }

        _log.Trim(_tree.LastProcessedZxid);
        _durableZxid = _log.LastZxid; // what was read back is on disk
        RefreshView();
        ResetSnapshotThreshold();
    }

    /// <summary>Rebuilds the tree from the newest snapshot and the log up to <paramref name="zxid"/> (after a TRUNC).</summary>
    private void RebuildTree(long zxid)
    {
        var snapshot = _storage.LoadLatestSnapshot();
        _tree = snapshot is { } s ? DataTree.Deserialize(s.Data) : new DataTree(_initialMembers);
        if (_tree.LastProcessedZxid > zxid)
        {
            throw new InvalidOperationException($"server {_myId}: snapshot {_tree.LastProcessedZxid:x} is past the truncation point {zxid:x}");
        }

        _log.Reset(_tree.LastProcessedZxid);
        foreach (var (z, record) in _storage.ReadLog(_tree.LastProcessedZxid))
        {
            var txn = TxnCodec.Decode(record);
            _log.Add(new LogEntry(txn, record));
            if (z <= zxid)
            {
                _tree.Apply(txn, record);
            }
        }

        RefreshView();
    }

    private void RefreshView()
    {
        var (version, members) = _adoptedConfig is { } adopted && adopted.Version > _tree.ConfigVersion
            ? adopted
            : (_tree.ConfigVersion, _tree.Members);
        _viewVersion = version;
        _viewMembers = members;
        var me = members.FirstOrDefault(m => m.ServerId == _myId);
        _view = me is null ? [.. members, _self] : members;
        _voters = _view.Where(m => m.IsVoter).Select(m => m.ServerId).ToHashSet();
        _votersOnly = [_voters];
        _isVoter = _voters.Contains(_myId);
    }

    private void ResetSnapshotThreshold()
    {
        var half = Math.Max(1, _settings.SnapCount / 2);
        _snapshotThreshold = half + _random.Next(half);
        _txnsSinceSnapshot = 0;
    }

    private void ScheduleTick(TimeSpan interval)
    {
        _tickTimer = Loop.Schedule(interval, () =>
        {
            OnTick();
            ScheduleTick(interval);
        });
    }

    private void OnTick()
    {
        switch (State)
        {
            case PeerState.Leading:
                LeaderTick();
                break;
            case PeerState.Following or PeerState.Observing:
                LearnerTick();
                break;
        }
    }

    private void SetState(PeerState state, ZabPhase phase)
    {
        var changed = state != State;
        State = state;
        Phase = phase;
        if (changed)
        {
            _observer?.OnStateChanged(_myId, state);
        }
    }

    /// <summary>Leaves the current role: closes leader or learner connections and drops clients.</summary>
    private void LeaveRole()
    {
        switch (State)
        {
            case PeerState.Leading:
                StopLeading();
                break;
            case PeerState.Following or PeerState.Observing:
                StopLearning();
                break;
        }

        LeaderId = null;
    }

    // ---- Log and tree ----

    private void AppendToLog(LogEntry entry)
    {
        _storage.Append(entry.Zxid, entry.Encoded);
        _log.Add(entry);
        RequestFlush();
    }

    private void RequestFlush()
    {
        if (_options.Fsync == FsyncPolicy.Always)
        {
            FlushLog();
            return;
        }

        if (!_flushScheduled)
        {
            // Group commit: the flush starts after every message already queued on the loop.
            _flushScheduled = true;
            Loop.Post(_flushLog);
        }
    }

    /// <summary>
    /// Flushes what is logged so far. A storage that writes on its own thread reports back later, so the loop
    /// goes on meanwhile (more proposals, acks, commits); the records count as durable only once it reports.
    /// </summary>
    private void FlushLog()
    {
        _flushScheduled = false;
        _flushesInFlight.Enqueue((_log.LastZxid, _flushGeneration));
        if (_storage.BeginFlush(_flushReported))
        {
            FlushDone();
        }
    }

    /// <summary>On the loop: the oldest flush in flight is done (the storage reports flushes in call order).</summary>
    private void FlushDone()
    {
        var (upTo, generation) = _flushesInFlight.Dequeue();
        OnFlushed(upTo, generation);
    }

    /// <summary>Flushes before going on, where the protocol needs everything logged to be durable first.</summary>
    private void FlushLogNow()
    {
        _storage.Flush();
        _durableZxid = Math.Max(_durableZxid, _log.LastZxid);
    }

    /// <summary>The log was cut (TRUNC) or replaced (SNAP): a flush reported after this describes records that may be gone.</summary>
    private void OnLogCut(long lastKept)
    {
        _flushGeneration++;
        _durableZxid = Math.Min(_durableZxid, lastKept);
    }

    private void OnFlushed(long upTo, int generation)
    {
        if (generation != _flushGeneration || upTo <= _durableZxid)
        {
            return;
        }

        _durableZxid = upTo;
        switch (State)
        {
            case PeerState.Leading:
                LeaderFlushed();
                break;
            case PeerState.Following or PeerState.Observing:
                LearnerFlushed();
                break;
        }
    }

    /// <summary>Applies every logged transaction up to <paramref name="zxid"/>; each one is committed.</summary>
    private void ApplyUpTo(long zxid, bool live = true)
    {
        if (zxid <= _tree.LastProcessedZxid)
        {
            return;
        }

        // One entry at a time rather than _log.After: a list per commit on every member was a steady stream of garbage.
        while (_log.EntryAfter(_tree.LastProcessedZxid, zxid) is { } entry)
        {
            var result = _tree.Apply(entry.Txn, entry.Encoded, withResult: _clientsBySession.ContainsKey(entry.Txn.SessionId));
            _observer?.OnApplied(_myId, entry.Zxid, _tree.Digest, entry.Txn);
            OnApplied(entry, result, live);
            if (State == PeerState.Looking)
            {
                return; // a reconfiguration made this node step down
            }
        }

        _log.Trim(_tree.LastProcessedZxid);
        MaybeSnapshot();
    }

    private void OnApplied(LogEntry entry, TxnResult result, bool live)
    {
        var txn = entry.Txn;
        _txnsSinceSnapshot++;
        if (State == PeerState.Leading)
        {
            LeaderApplied(txn);
        }

        CompleteClientWrite(txn, result);
        if (txn.Op is ReconfigOp)
        {
            RefreshView();
            OnConfigActivated(txn.Zxid, live);
        }
    }

    private void MaybeSnapshot()
    {
        if (_txnsSinceSnapshot < _snapshotThreshold)
        {
            return;
        }

        // No flush first: the snapshot holds committed state only, and the storage keeps call order.
        _storage.SaveSnapshot(_tree.LastProcessedZxid, _tree.Serialize());
        _storage.Purge(_options.SnapshotsRetained);
        ResetSnapshotThreshold();
    }

    /// <summary>
    /// A committed configuration took effect. <paramref name="live"/> is false while a learner replays
    /// history during sync: an old configuration that predates this node joining must not remove it.
    /// </summary>
    private void OnConfigActivated(long version, bool live)
    {
        if (live && !_tree.Members.Any(m => m.ServerId == _myId))
        {
            // Removed: like a ZooKeeper server dropped by reconfig, it stops serving and waits to be stopped.
            IsRemoved = true;
            LeaveRole();
            DisconnectClients(Backends.CoordinationError.ConnectionLoss);
            SetState(PeerState.Looking, ZabPhase.Election);
            return;
        }

        if (State == PeerState.Leading)
        {
            LeaderConfigActivated(version);
        }
    }

    // ---- Network ----

    public void OnDatagram(int from, object message)
    {
        _packetsReceived++;
        if (message is Notification n && !IsRemoved)
        {
            OnNotification(n);
        }
    }

    public void OnConnected(long connectionId, int from)
    {
        if (State == PeerState.Leading && !IsRemoved)
        {
            LeaderAccepted(connectionId, from);
        }
        else
        {
            _network.Close(connectionId, _myId);
        }
    }

    public void OnMessage(long connectionId, int from, object message)
    {
        _packetsReceived++;
        switch (State)
        {
            case PeerState.Leading:
                LeaderReceived(connectionId, message);
                break;
            case PeerState.Following or PeerState.Observing when connectionId == _learnerConnection:
                LearnerReceived(message);
                break;
        }
    }

    public void OnClosed(long connectionId, int peer)
    {
        switch (State)
        {
            case PeerState.Leading:
                LeaderConnectionClosed(connectionId);
                break;
            case PeerState.Following or PeerState.Observing when connectionId == _learnerConnection && _learnerPhase == LearnerPhase.Connecting:
                RetryLeaderConnection();
                break;
            case PeerState.Following or PeerState.Observing when connectionId == _learnerConnection:
                StartLooking($"connection to leader {peer} closed");
                break;
        }
    }

    private void Send(long connectionId, object message)
    {
        _packetsSent++;
        _network.Send(connectionId, _myId, message);
    }

    private void SendDatagram(int to, object message)
    {
        _packetsSent++;
        _network.SendDatagram(_myId, to, message);
    }

    // ---- Status ----

    /// <summary>What a probe sees, as ZooKeeper's mntr would report it. Call on the loop.</summary>
    public MemberStatus GetStatus()
    {
        var role = _view.FirstOrDefault(m => m.ServerId == _myId)?.Role ?? _self.Role;
        return new MemberStatus
        {
            ServerId = _myId,
            ProbedAt = Loop.Time.GetUtcNow(),
            State = State,
            Phase = Phase,
            Role = role,
            LeaderId = LeaderId,
            Epoch = _storage.CurrentEpoch,
            LastZxid = _tree.LastProcessedZxid,
            ConfigVersion = _tree.ConfigVersion,
            LastHeartbeat = _lastHeartbeat,
            LatencyMin = double.IsNaN(_latencyMin) ? 0 : _latencyMin,
            LatencyAvg = _latencyCount == 0 ? 0 : _latencySum / _latencyCount,
            LatencyMax = _latencyMax,
            OutstandingRequests = OutstandingClientRequests,
            Connections = _clients.Count,
            ZnodeCount = _tree.NodeCount,
            PacketsReceived = _packetsReceived,
            PacketsSent = _packetsSent,
            ReadsServed = _readsServed,
            WritesServed = _writesServed,
            SyncedFollowers = State == PeerState.Leading ? SyncedFollowerCount : null,
        };
    }

    /// <summary>
    /// Called on the loop with each request's server-side latency (from the request reaching this member to its reply
    /// leaving, as ZooKeeper's <c>zk_max_latency</c> counts it); for benchmarks that want the distribution, not min/avg/max.
    /// </summary>
    internal Action<TimeSpan>? RequestLatencyObserver { get; set; }

    private void RecordLatency(TimeSpan started)
    {
        var elapsed = Now - started;
        RequestLatencyObserver?.Invoke(elapsed);
        var ms = elapsed.TotalMilliseconds;
        _latencyMin = double.IsNaN(_latencyMin) ? ms : Math.Min(_latencyMin, ms);
        _latencyMax = Math.Max(_latencyMax, ms);
        _latencySum += ms;
        _latencyCount++;
    }
}
