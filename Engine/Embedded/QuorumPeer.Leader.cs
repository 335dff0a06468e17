using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded;

// The leader: discovery (a new epoch from a quorum's accepted epochs), synchronisation of each
// learner (DIFF, TRUNC or SNAP, then NEWLEADER and UPTODATE), and broadcast (PROPOSAL, quorum ACK,
// COMMIT in zxid order), with heartbeats and session expiry.
internal sealed partial class QuorumPeer
{
    private enum LeaderPhase
    {
        WaitingForEpoch,
        WaitingForEpochAcks,
        WaitingForNewLeaderAcks,
        Established,
    }

    private enum HandlerPhase
    {
        Connected,
        AwaitingEpochAck,
        EpochAcked,
        Syncing,
        Synced,
    }

    private sealed class LearnerHandler(long connectionId, int sid)
    {
        public long ConnectionId { get; } = connectionId;

        public int Sid { get; set; } = sid;

        public bool IsObserver { get; set; }

        public bool WantsSnapshot { get; set; }

        public HandlerPhase Phase { get; set; } = HandlerPhase.Connected;

        public long LastZxid { get; set; }

        public long AckedZxid { get; set; }

        public TimeSpan LastHeard { get; set; }

        /// <summary>Receives proposals, commits and informs from now on (set when its sync is queued).</summary>
        public bool InBroadcast { get; set; }
    }

    private sealed class Outstanding(LogEntry entry, HashSet<int>[] verifiers)
    {
        public LogEntry Entry { get; } = entry;

        public HashSet<int>[] Verifiers { get; } = verifiers;
    }

    private readonly Dictionary<long, LearnerHandler> _handlers = [];
    private readonly Queue<Outstanding> _outstanding = new();
    private readonly HashSet<int> _epochConnectors = [];
    private readonly HashSet<int> _epochAckers = [];
    private readonly HashSet<int> _newLeaderAckers = [];
    private readonly Dictionary<long, TimeSpan> _sessionDeadlines = [];
    private readonly HashSet<long> _expiring = [];
    private readonly List<(long Zxid, LearnerHandler? Handler, long SessionId, int Cxid)> _pendingSyncs = [];
    private LeaderPhase _leaderPhase;
    private long _newEpoch;
    private long _maxAcceptedEpoch;
    private long _counter;
    private long _leaderLoggedZxid;
    private long _lastCommitted;
    private TimeSpan _establishDeadline;
    private (long Epoch, long Zxid) _stateAtElection;
    private HashSet<int>? _pendingVoters;
    private long _pendingReconfigZxid;

    /// <summary>How many learners this node, as leader, synced by DIFF, TRUNC and SNAP since it started.</summary>
    public int[] SyncsSent { get; } = new int[3];

    private int SyncedFollowerCount => _handlers.Values.Count(h => h.Phase == HandlerPhase.Synced && !h.IsObserver);

    private bool LeaderEstablished => State == PeerState.Leading && _leaderPhase == LeaderPhase.Established;

    private void BecomeLeader()
    {
        SetState(PeerState.Leading, ZabPhase.Discovery);
        LeaderId = _myId;
        _handlers.Clear();
        _outstanding.Clear();
        _epochConnectors.Clear();
        _epochAckers.Clear();
        _newLeaderAckers.Clear();
        _sessionDeadlines.Clear();
        _expiring.Clear();
        _pendingSyncs.Clear();
        _pendingVoters = null;
        _pendingReconfigZxid = 0;
        _leaderPhase = LeaderPhase.WaitingForEpoch;
        _stateAtElection = (_storage.CurrentEpoch, LastLoggedZxid);
        _maxAcceptedEpoch = _storage.AcceptedEpoch;
        _establishDeadline = Now + _tick * _settings.InitLimit;
        _epochConnectors.Add(_myId);
        CheckEpochQuorum();
    }

    private void StopLeading()
    {
        foreach (var handler in _handlers.Values)
        {
            _network.Close(handler.ConnectionId, _myId);
        }

        _handlers.Clear();
        _outstanding.Clear();
        _pendingSyncs.Clear();
    }

    private void LeaderAccepted(long connectionId, int from)
    {
        _handlers[connectionId] = new LearnerHandler(connectionId, from) { LastHeard = Now };
    }

    private void LeaderConnectionClosed(long connectionId)
    {
        _handlers.Remove(connectionId);
    }

    private void LeaderReceived(long connectionId, object message)
    {
        if (!_handlers.TryGetValue(connectionId, out var h))
        {
            return;
        }

        h.LastHeard = Now;
        switch (message)
        {
            case LearnerInfo info:
                OnLearnerInfo(h, info);
                break;
            case AckEpoch ack:
                OnAckEpoch(h, ack);
                break;
            case Ack ack:
                OnAck(h, ack.Zxid);
                break;
            case PingReply reply:
                foreach (var session in reply.TouchedSessions)
                {
                    TouchSession(session);
                }

                break;
            case ForwardedRequest request:
                LeaderSubmit(h, request.SessionId, request.Cxid, request.Op);
                break;
            case SyncRequest sync:
                LeaderSync(h, sync.SessionId, sync.Cxid);
                break;
        }
    }

    private void OnLearnerInfo(LearnerHandler h, LearnerInfo info)
    {
        // A member that reconnects replaces its old connection.
        foreach (var old in _handlers.Values.Where(o => o.Sid == info.Sid && o.ConnectionId != h.ConnectionId).ToList())
        {
            _handlers.Remove(old.ConnectionId);
            _network.Close(old.ConnectionId, _myId);
        }

        h.Sid = info.Sid;
        h.IsObserver = info.IsObserver;
        h.WantsSnapshot = info.WantsSnapshot;
        if (_leaderPhase == LeaderPhase.WaitingForEpoch)
        {
            if (!info.IsObserver && _voters.Contains(info.Sid))
            {
                _epochConnectors.Add(info.Sid);
            }

            _maxAcceptedEpoch = Math.Max(_maxAcceptedEpoch, info.AcceptedEpoch);
            h.Phase = HandlerPhase.AwaitingEpochAck;
            CheckEpochQuorum();
        }
        else
        {
            h.Phase = HandlerPhase.AwaitingEpochAck;
            Send(h.ConnectionId, new LeaderInfo(_newEpoch));
        }
    }

    private void CheckEpochQuorum()
    {
        if (_leaderPhase != LeaderPhase.WaitingForEpoch || !QuorumMath.IsQuorum(_epochConnectors, _voters))
        {
            return;
        }

        _newEpoch = _maxAcceptedEpoch + 1;
        _storage.SetAcceptedEpoch(_newEpoch);
        _leaderPhase = LeaderPhase.WaitingForEpochAcks;
        _epochAckers.Add(_myId);
        foreach (var h in _handlers.Values.Where(h => h.Phase == HandlerPhase.AwaitingEpochAck))
        {
            Send(h.ConnectionId, new LeaderInfo(_newEpoch));
        }

        CheckEpochAckQuorum();
    }

    private void OnAckEpoch(LearnerHandler h, AckEpoch ack)
    {
        if (h.Phase != HandlerPhase.AwaitingEpochAck)
        {
            return;
        }

        // Only while the epoch quorum is still forming, as ZooKeeper's waitForEpochAck (it returns once the
        // election finished). Later, a learner "ahead" of the state at election is a rejoining member that
        // logged this epoch's commits or an old leader's uncommitted proposals: a quorum already vouched
        // for this leader's history, so it is synced (TRUNC cuts the extras) instead of abdicating. Checking
        // it always made every follower that rejoined after the first commit force a re-election.
        var (epoch, zxid) = _stateAtElection;
        if (_leaderPhase == LeaderPhase.WaitingForEpochAcks
            && (ack.CurrentEpoch > epoch || ack.CurrentEpoch == epoch && ack.LastZxid > zxid)
            && !HasDefect(ProtocolDefects.ElectionIgnoresHistory))
        {
            // The election picked a leader behind one of its followers; elect again.
            StartLooking($"follower {h.Sid} is ahead of the leader ({ack.LastZxid:x} > {zxid:x})");
            return;
        }

        h.LastZxid = ack.LastZxid;
        h.Phase = HandlerPhase.EpochAcked;
        if (_leaderPhase == LeaderPhase.WaitingForEpochAcks)
        {
            if (!h.IsObserver && _voters.Contains(h.Sid))
            {
                _epochAckers.Add(h.Sid);
            }

            CheckEpochAckQuorum();
        }
        else if (_leaderPhase is LeaderPhase.WaitingForNewLeaderAcks or LeaderPhase.Established)
        {
            SyncLearner(h);
        }
    }

    private void CheckEpochAckQuorum()
    {
        if (_leaderPhase != LeaderPhase.WaitingForEpochAcks || !QuorumMath.IsQuorum(_epochAckers, _voters))
        {
            return;
        }

        _storage.SetCurrentEpoch(_newEpoch);
        FlushLogNow();
        _leaderPhase = LeaderPhase.WaitingForNewLeaderAcks;
        Phase = ZabPhase.Synchronization;
        _counter = 0;
        _newLeaderAckers.Add(_myId);
        foreach (var h in _handlers.Values.Where(h => h.Phase == HandlerPhase.EpochAcked).ToList())
        {
            SyncLearner(h);
        }

        CheckNewLeaderQuorum();
    }

    /// <summary>Queues DIFF, TRUNC or SNAP for one learner, then NEWLEADER; from here it receives the broadcast too.</summary>
    private void SyncLearner(LearnerHandler h)
    {
        // While establishing, the leader's whole log becomes committed with the NEWLEADER quorum.
        var committedUpTo = _leaderPhase == LeaderPhase.Established ? _lastCommitted : _log.LastZxid;
        var learnerZxid = h.LastZxid;
        SyncStart sync;
        if (!h.WantsSnapshot && _log.Contains(learnerZxid))
        {
            sync = new SyncStart(SyncMode.Diff, 0, null, 0, _log.After(learnerZxid, committedUpTo), committedUpTo);
        }
        else if (!h.WantsSnapshot && learnerZxid > _log.BaseZxid)
        {
            // The learner has transactions this leader never had (or it is ahead): cut them off.
            var truncateTo = _log.Before(learnerZxid);
            sync = new SyncStart(SyncMode.Trunc, truncateTo, null, 0, _log.After(truncateTo, committedUpTo), committedUpTo);
        }
        else
        {
            var snapshotZxid = _tree.LastProcessedZxid;
            sync = new SyncStart(SyncMode.Snap, 0, _tree.Serialize(), snapshotZxid, _log.After(snapshotZxid, committedUpTo), committedUpTo);
        }

        SyncsSent[(int)sync.Mode]++;
        Send(h.ConnectionId, sync);
        if (!h.IsObserver)
        {
            foreach (var p in _outstanding)
            {
                if (p.Entry.Zxid > committedUpTo)
                {
                    Send(h.ConnectionId, new Proposal(p.Entry));
                }
            }
        }

        Send(h.ConnectionId, new NewLeader(_newEpoch));
        h.Phase = HandlerPhase.Syncing;
        h.InBroadcast = true;
        h.AckedZxid = 0;
    }

    private void OnAck(LearnerHandler h, long zxid)
    {
        if (h.Phase == HandlerPhase.Syncing && zxid == Zxid.Make(_newEpoch, 0))
        {
            OnNewLeaderAck(h);
            return;
        }

        if (zxid > h.AckedZxid)
        {
            h.AckedZxid = zxid;
            TryCommit();
        }
    }

    private void OnNewLeaderAck(LearnerHandler h)
    {
        h.AckedZxid = Math.Max(h.AckedZxid, Zxid.Make(_newEpoch, 0));
        if (_leaderPhase == LeaderPhase.WaitingForNewLeaderAcks)
        {
            if (!h.IsObserver && _voters.Contains(h.Sid))
            {
                _newLeaderAckers.Add(h.Sid);
            }

            CheckNewLeaderQuorum();
        }
        else if (_leaderPhase == LeaderPhase.Established)
        {
            Send(h.ConnectionId, new UpToDate(_lastCommitted));
            h.Phase = HandlerPhase.Synced;
        }
    }

    private void CheckNewLeaderQuorum()
    {
        if (_leaderPhase != LeaderPhase.WaitingForNewLeaderAcks || !QuorumMath.IsQuorum(_newLeaderAckers, _voters))
        {
            return;
        }

        _leaderPhase = LeaderPhase.Established;
        SetState(PeerState.Leading, ZabPhase.Broadcast);
        _lastHeartbeat = Loop.Time.GetUtcNow();
        _observer?.OnLeading(_myId, _newEpoch);

        // Everything this leader logged is committed now that a quorum has it.
        _leaderLoggedZxid = _log.LastZxid;
        _lastCommitted = _log.LastZxid;
        foreach (var (session, timeout) in _tree.Sessions)
        {
            _sessionDeadlines[session] = Now + TimeSpan.FromMilliseconds(timeout);
        }

        ApplyUpTo(_lastCommitted);
        if (State != PeerState.Leading)
        {
            return;
        }

        _observer?.OnApplied(_myId, _tree.LastProcessedZxid, _tree.Digest, null);
        foreach (var h in _handlers.Values.Where(h => h.Phase == HandlerPhase.Syncing && h.AckedZxid >= Zxid.Make(_newEpoch, 0)))
        {
            Send(h.ConnectionId, new UpToDate(_lastCommitted));
            h.Phase = HandlerPhase.Synced;
        }
    }

    // ---- Broadcast ----

    /// <summary>Orders a client write. <paramref name="from"/> is null for this leader's own clients.</summary>
    private void LeaderSubmit(LearnerHandler? from, long sessionId, int cxid, TxnOp op)
    {
        if (!LeaderEstablished)
        {
            Refuse(from, sessionId, cxid, CoordinationError.NoQuorum, "the leader is not established yet");
            return;
        }

        if (op is ReconfigOp reconfig && CheckReconfig(reconfig) is { } refusal)
        {
            Refuse(from, sessionId, cxid, refusal.Error, refusal.Detail);
            return;
        }

        Propose(sessionId, cxid, op);
    }

    private void Refuse(LearnerHandler? from, long sessionId, int cxid, CoordinationError error, string detail)
    {
        if (from is null)
        {
            CompleteClientRequest(sessionId, cxid, new ClientReply(cxid, _tree.LastProcessedZxid, error, null, detail));
        }
        else
        {
            Send(from.ConnectionId, new RequestRefused(sessionId, cxid, error, detail));
        }
    }

    private (CoordinationError Error, string Detail)? CheckReconfig(ReconfigOp op)
    {
        if (_pendingReconfigZxid != 0)
        {
            return (CoordinationError.ReconfigInProgress, $"configuration {_pendingReconfigZxid:x} is not committed yet");
        }

        if (op.ExpectedVersion >= 0 && op.ExpectedVersion != _tree.ConfigVersion)
        {
            return (CoordinationError.BadVersion, $"reconfiguration from version {op.ExpectedVersion:x}, but the last committed version is {_tree.ConfigVersion:x}");
        }

        var newVoters = op.Members.Where(m => m.IsVoter).Select(m => m.ServerId).ToHashSet();
        if (newVoters.Count == 0)
        {
            return (CoordinationError.BadArguments, "the new configuration has no participant");
        }

        var synced = _handlers.Values.Where(h => h.Phase == HandlerPhase.Synced && !h.IsObserver).Select(h => h.Sid).Append(_myId).ToHashSet();
        var syncedVoters = newVoters.Count(synced.Contains);
        if (!QuorumMath.IsQuorum(syncedVoters, newVoters.Count))
        {
            return (CoordinationError.NewConfigNoQuorum,
                $"{syncedVoters} of {newVoters.Count} new participants are synced with the leader; {QuorumMath.Majority(newVoters.Count)} needed");
        }

        return null;
    }

    private void Propose(long sessionId, int cxid, TxnOp op)
    {
        var zxid = Zxid.Make(_newEpoch, ++_counter);
        var txn = new Txn(zxid, sessionId, cxid, Loop.Time.GetUtcNow().ToUnixTimeMilliseconds(), op);
        var encoded = TxnCodec.Encode(txn);
        var entry = new LogEntry(TxnCodec.ShareData(txn, encoded), encoded);
        var verifiers = _pendingVoters is null ? _votersOnly : [_voters, _pendingVoters];
        if (op is ReconfigOp reconfig)
        {
            // From here until it commits, every proposal needs a quorum of the old and of the new configuration.
            _pendingVoters = reconfig.Members.Where(m => m.IsVoter).Select(m => m.ServerId).ToHashSet();
            _pendingReconfigZxid = zxid;
            verifiers = [_voters, _pendingVoters];
        }

        _outstanding.Enqueue(new Outstanding(entry, verifiers));
        AppendToLog(entry);
        var proposal = new Proposal(entry);
        foreach (var h in _handlers.Values)
        {
            if (h.InBroadcast && !h.IsObserver)
            {
                Send(h.ConnectionId, proposal);
            }
        }

        if (HasDefect(ProtocolDefects.CommitWithoutQuorum))
        {
            _leaderLoggedZxid = zxid;
            TryCommit();
        }
    }

    private void LeaderFlushed()
    {
        if (_leaderPhase == LeaderPhase.Established)
        {
            _leaderLoggedZxid = _durableZxid;
            TryCommit();
        }
    }

    private bool IsAcked(Outstanding p)
    {
        if (HasDefect(ProtocolDefects.CommitWithoutQuorum))
        {
            return true;
        }

        foreach (var verifier in p.Verifiers)
        {
            var votes = verifier.Contains(_myId) && _leaderLoggedZxid >= p.Entry.Zxid ? 1 : 0;
            foreach (var h in _handlers.Values)
            {
                if (h.AckedZxid >= p.Entry.Zxid && !h.IsObserver && verifier.Contains(h.Sid))
                {
                    votes++;
                }
            }

            if (!QuorumMath.IsQuorum(votes, verifier.Count))
            {
                return false;
            }
        }

        return true;
    }

    private void TryCommit()
    {
        var committed = _lastCommitted;
        while (_outstanding.Count > 0 && IsAcked(_outstanding.Peek()))
        {
            committed = _outstanding.Dequeue().Entry.Zxid;
        }

        if (committed == _lastCommitted)
        {
            return;
        }

        var previous = _lastCommitted;
        _lastCommitted = committed;
        List<LogEntry>? informs = null;
        var commit = new Commit(committed);
        foreach (var h in _handlers.Values)
        {
            if (!h.InBroadcast)
            {
                continue;
            }

            if (h.IsObserver)
            {
                informs ??= _log.After(previous, committed);
                foreach (var entry in informs)
                {
                    Send(h.ConnectionId, new Inform(entry));
                }
            }
            else
            {
                Send(h.ConnectionId, commit);
            }
        }

        ApplyUpTo(committed);
        CompletePendingSyncs(committed);
    }

    private void LeaderSync(LearnerHandler? from, long sessionId, int cxid)
    {
        if (!LeaderEstablished)
        {
            Refuse(from, sessionId, cxid, CoordinationError.NoQuorum, "the leader is not established yet");
            return;
        }

        var last = _outstanding.Count == 0 ? 0 : _log.LastZxid;
        _pendingSyncs.Add((last, from, sessionId, cxid));
        CompletePendingSyncs(_lastCommitted);
    }

    private void CompletePendingSyncs(long committed)
    {
        for (var i = 0; i < _pendingSyncs.Count; i++)
        {
            var (zxid, handler, sessionId, cxid) = _pendingSyncs[i];
            if (zxid > committed)
            {
                continue;
            }

            _pendingSyncs.RemoveAt(i--);
            if (handler is null)
            {
                CompleteClientRequest(sessionId, cxid, new ClientReply(cxid, _tree.LastProcessedZxid, null, null));
            }
            else if (_handlers.ContainsKey(handler.ConnectionId))
            {
                Send(handler.ConnectionId, new SyncReply(sessionId, cxid));
            }
        }
    }

    private void LeaderApplied(Txn txn)
    {
        switch (txn.Op)
        {
            case CreateSessionOp create:
                _sessionDeadlines[txn.SessionId] = Now + TimeSpan.FromMilliseconds(create.TimeoutMs);
                break;
            case CloseSessionOp:
                _sessionDeadlines.Remove(txn.SessionId);
                _expiring.Remove(txn.SessionId);
                break;
        }
    }

    private void LeaderConfigActivated(long version)
    {
        if (version == _pendingReconfigZxid)
        {
            _pendingReconfigZxid = 0;
            _pendingVoters = null;
        }

        if (!_isVoter)
        {
            // Removed as a participant: hand leadership over by stepping down; the remaining members elect.
            StartLooking("this leader is no longer a participant");
        }
    }

    private void TouchSession(long sessionId)
    {
        if (_sessionDeadlines.ContainsKey(sessionId) && _tree.Sessions.TryGetValue(sessionId, out var timeout))
        {
            _sessionDeadlines[sessionId] = Now + TimeSpan.FromMilliseconds(timeout);
        }
    }

    private void LeaderTick()
    {
        if (_leaderPhase != LeaderPhase.Established)
        {
            if (Now > _establishDeadline)
            {
                StartLooking("no quorum of followers synced within initLimit");
            }

            return;
        }

        var ping = new Ping(_lastCommitted);
        var silentLimit = Now - _tick * _settings.SyncLimit;
        foreach (var h in _handlers.Values.ToList())
        {
            if (h.LastHeard < silentLimit)
            {
                // Like ZooKeeper's LearnerHandler read timeout: a learner silent for syncLimit ticks is dropped.
                _handlers.Remove(h.ConnectionId);
                _network.Close(h.ConnectionId, _myId);
                continue;
            }

            Send(h.ConnectionId, ping);
        }

        var verifiers = _pendingVoters is null ? new[] { _voters } : new[] { _voters, _pendingVoters };
        foreach (var verifier in verifiers)
        {
            var alive = _handlers.Values.Where(h => h.Phase == HandlerPhase.Synced && !h.IsObserver && verifier.Contains(h.Sid))
                .Select(h => h.Sid).Distinct().Count() + (verifier.Contains(_myId) ? 1 : 0);
            if (!QuorumMath.IsQuorum(alive, verifier.Count))
            {
                StartLooking($"lost the quorum: {alive} of {verifier.Count} participants synced");
                return;
            }
        }

        _lastHeartbeat = Loop.Time.GetUtcNow();

        // Sessions live on their clients' requests and pings only, on the leader as on a follower (ZooKeeper
        // touches a session per packet received). Touching every session connected here each tick kept a
        // silent client of the leader, and its ephemerals, alive forever (scenario seed 1904).
        var expired = _sessionDeadlines.Where(s => s.Value < Now && !_expiring.Contains(s.Key)).Select(s => s.Key).ToList();
        foreach (var session in expired)
        {
            _expiring.Add(session);
            Propose(session, 0, new CloseSessionOp());
        }
    }
}
