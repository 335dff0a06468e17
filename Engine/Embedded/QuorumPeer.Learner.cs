using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded;

// A follower or observer: connects to the elected leader, accepts its epoch, syncs, then logs
// proposals (acking them once durable) and applies commits in order.
internal sealed partial class QuorumPeer
{
    private enum LearnerPhase
    {
        Connecting,
        AwaitingSync,
        AwaitingNewLeader,
        AwaitingUpToDate,
        Broadcast,
    }

    private long _learnerConnection = -1;
    private LearnerPhase _learnerPhase;
    private TimeSpan _lastHeardLeader;
    private long _syncCommittedUpTo;
    private long _maxCommitSeen;
    private long _lastAckSent;
    private bool _acksEnabled;
    private bool _wantsSnapshot;
    private readonly HashSet<long> _touchedSessions = [];

    private bool LearnerServing => State is PeerState.Following or PeerState.Observing && _learnerPhase == LearnerPhase.Broadcast;

    private void StartLearning(int leader, bool observer)
    {
        SetState(observer ? PeerState.Observing : PeerState.Following, ZabPhase.Discovery);
        LeaderId = leader;
        _learnerPhase = LearnerPhase.Connecting;
        _lastHeardLeader = Now;
        _acksEnabled = false;
        _lastAckSent = 0;
        _maxCommitSeen = 0;
        _syncCommittedUpTo = 0;
        _touchedSessions.Clear();
        _learnerConnection = _network.Connect(_myId, leader);
        Send(_learnerConnection, new LearnerInfo(_myId, _storage.AcceptedEpoch, observer, _wantsSnapshot));
    }

    /// <summary>
    /// The leader we decided on closed the connection before answering: it may still be in its finalize
    /// wait, refusing connections until it leads. Like ZooKeeper's Learner.connectToLeader, try again until
    /// initLimit ticks pass without a word from it (<see cref="LearnerTick"/>). Giving up at once sent this
    /// node back to election alone, a round ahead of a leader waiting for it: both stalled for initLimit
    /// ticks, sometimes twice (scenario Sync_OldLeaderWithUnreplicatedProposals_NewLeaderSendsTrunc, seed 1503).
    /// </summary>
    private void RetryLeaderConnection()
    {
        _learnerConnection = -1;
        var leader = LeaderId!.Value;

        // A fraction of the finalize wait: the leader-to-be is at most one finalize wait from accepting.
        Loop.Schedule(FinalizeWait / 5, () =>
        {
            if (State is PeerState.Following or PeerState.Observing && _learnerPhase == LearnerPhase.Connecting
                && _learnerConnection == -1 && LeaderId == leader)
            {
                _learnerConnection = _network.Connect(_myId, leader);
                Send(_learnerConnection, new LearnerInfo(_myId, _storage.AcceptedEpoch, State == PeerState.Observing, _wantsSnapshot));
            }
        });
    }

    private void StopLearning()
    {
        if (_learnerConnection >= 0)
        {
            _network.Close(_learnerConnection, _myId);
            _learnerConnection = -1;
        }
    }

    private void LearnerReceived(object message)
    {
        _lastHeardLeader = Now;
        switch (message)
        {
            case LeaderInfo info:
                OnLeaderInfo(info);
                break;
            case SyncStart sync:
                OnSyncStart(sync);
                break;
            case Proposal proposal:
                OnProposal(proposal.Entry);
                break;
            case NewLeader newLeader:
                OnNewLeader(newLeader);
                break;
            case UpToDate upToDate:
                OnUpToDate(upToDate);
                break;
            case Commit commit:
                _maxCommitSeen = Math.Max(_maxCommitSeen, commit.Zxid);
                if (_learnerPhase == LearnerPhase.Broadcast)
                {
                    ApplyUpTo(commit.Zxid);
                }

                break;
            case Inform inform:
                OnInform(inform.Entry);
                break;
            case Ping:
                _lastHeartbeat = Loop.Time.GetUtcNow();
                Send(_learnerConnection, new PingReply(_touchedSessions.Count == 0 ? [] : [.. _touchedSessions]));
                _touchedSessions.Clear();
                break;
            case RequestRefused refused:
                CompleteClientRequest(refused.SessionId, refused.Cxid,
                    new ClientReply(refused.Cxid, _tree.LastProcessedZxid, refused.Error, null, refused.Detail));
                break;
            case SyncReply reply:
                CompleteClientRequest(reply.SessionId, reply.Cxid, new ClientReply(reply.Cxid, _tree.LastProcessedZxid, null, null));
                break;
        }
    }

    private void OnLeaderInfo(LeaderInfo info)
    {
        if (_learnerPhase != LearnerPhase.Connecting)
        {
            return;
        }

        var accepted = _storage.AcceptedEpoch;
        if (info.NewEpoch < accepted)
        {
            StartLooking($"leader {LeaderId} proposed epoch {info.NewEpoch}, below the accepted epoch {accepted}");
            return;
        }

        if (info.NewEpoch > accepted)
        {
            _storage.SetAcceptedEpoch(info.NewEpoch);
        }

        Phase = ZabPhase.Synchronization;
        _learnerPhase = LearnerPhase.AwaitingSync;
        Send(_learnerConnection, new AckEpoch(_storage.CurrentEpoch, LastLoggedZxid));
    }

    private void OnSyncStart(SyncStart sync)
    {
        if (_learnerPhase != LearnerPhase.AwaitingSync)
        {
            return;
        }

        switch (sync.Mode)
        {
            case SyncMode.Snap:
                _tree = DataTree.Deserialize(sync.Snapshot);
                _storage.ResetTo(sync.SnapshotZxid, sync.Snapshot);
                _log.Reset(sync.SnapshotZxid);
                OnLogCut(sync.SnapshotZxid);
                RefreshView();
                _wantsSnapshot = false;
                break;
            case SyncMode.Trunc:
                if (!HasLogged(sync.TruncateTo))
                {
                    // Our history does not reach the leader's truncation point: ask for a snapshot next time.
                    _wantsSnapshot = true;
                    StartLooking($"cannot truncate to {sync.TruncateTo:x}");
                    return;
                }

                _storage.TruncateAfter(sync.TruncateTo);
                OnLogCut(sync.TruncateTo);
                if (_tree.LastProcessedZxid > sync.TruncateTo || _log.BaseZxid > sync.TruncateTo)
                {
                    RebuildTree(sync.TruncateTo);
                }
                else
                {
                    _log.TruncateAfter(sync.TruncateTo);
                }

                break;
        }

        foreach (var entry in sync.Entries)
        {
            if (entry.Zxid > _log.LastZxid)
            {
                _storage.Append(entry.Zxid, entry.Encoded);
                _log.Add(entry);
            }
        }

        _syncCommittedUpTo = sync.CommittedUpTo;
        _learnerPhase = LearnerPhase.AwaitingNewLeader;
    }

    private bool HasLogged(long zxid) =>
        zxid == _tree.LastProcessedZxid || _log.Contains(zxid) || _storage.ReadLog(zxid - 1).Take(1).Any(r => r.Zxid == zxid);

    private void OnProposal(LogEntry entry)
    {
        if (_learnerPhase < LearnerPhase.AwaitingNewLeader)
        {
            return;
        }

        if (entry.Zxid <= _log.LastZxid)
        {
            StartLooking($"proposal {entry.Zxid:x} does not follow {_log.LastZxid:x}");
            return;
        }

        AppendToLog(entry);
    }

    private void OnInform(LogEntry entry)
    {
        if (_learnerPhase < LearnerPhase.AwaitingNewLeader || entry.Zxid <= _log.LastZxid)
        {
            return;
        }

        AppendToLog(entry);
        _maxCommitSeen = Math.Max(_maxCommitSeen, entry.Zxid);
        if (_learnerPhase == LearnerPhase.Broadcast)
        {
            ApplyUpTo(entry.Zxid);
        }
    }

    private void OnNewLeader(NewLeader newLeader)
    {
        if (_learnerPhase != LearnerPhase.AwaitingNewLeader)
        {
            return;
        }

        FlushLogNow();
        _storage.SetCurrentEpoch(newLeader.Epoch);
        _learnerPhase = LearnerPhase.AwaitingUpToDate;
        _acksEnabled = true;
        var newLeaderZxid = Zxid.Make(newLeader.Epoch, 0);
        Send(_learnerConnection, new Ack(newLeaderZxid));
        _lastAckSent = newLeaderZxid;
        SendAckIfNeeded();
    }

    private void OnUpToDate(UpToDate upToDate)
    {
        if (_learnerPhase != LearnerPhase.AwaitingUpToDate)
        {
            return;
        }

        _learnerPhase = LearnerPhase.Broadcast;
        Phase = ZabPhase.Broadcast;
        _lastHeartbeat = Loop.Time.GetUtcNow();
        ApplyUpTo(Math.Max(Math.Max(_syncCommittedUpTo, upToDate.CommittedUpTo), _maxCommitSeen), live: false);
        _observer?.OnApplied(_myId, _tree.LastProcessedZxid, _tree.Digest, null);
    }

    private void LearnerFlushed() => SendAckIfNeeded();

    private void SendAckIfNeeded()
    {
        if (_acksEnabled && State == PeerState.Following && _durableZxid > _lastAckSent)
        {
            _lastAckSent = _durableZxid;
            Send(_learnerConnection, new Ack(_lastAckSent));
        }
    }

    private void LearnerTick()
    {
        var limit = _learnerPhase == LearnerPhase.Broadcast ? _settings.SyncLimit : _settings.InitLimit;
        if (Now - _lastHeardLeader > _tick * limit)
        {
            StartLooking($"leader {LeaderId} silent for {limit} ticks");
        }
    }
}
