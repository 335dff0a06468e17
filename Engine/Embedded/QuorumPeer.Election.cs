using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded;

// Fast leader election, after ZooKeeper's FastLeaderElection: rounds (logical clock), votes of
// (epoch, zxid, id), a finalize wait once a quorum agrees, and a doubling notification timeout.
internal sealed partial class QuorumPeer
{
    private readonly Dictionary<int, (Vote Vote, PeerState State)> _recvSet = [];
    private readonly Dictionary<int, (Vote Vote, long Round, PeerState State)> _outOfElection = [];
    private long _round;
    private Vote _proposal = Vote.None;
    private Vote _currentVote = Vote.None;
    private long _decidedRound;
    private IDisposable? _notificationTimer;
    private IDisposable? _finalizeTimer;
    private TimeSpan _notificationTimeout;

    /// <summary>The election round and current proposal, for diagnostics.</summary>
    public string ElectionState => $"round {_round} proposal {_proposal} recv [{string.Join(",", _recvSet.Select(r => $"{r.Key}:{r.Value.Vote.Leader}/{r.Value.State}"))}] out [{string.Join(",", _outOfElection.Select(r => $"{r.Key}:{r.Value.Vote.Leader}/{r.Value.State}"))}] voters [{string.Join(",", _voters)}]";

    /// <summary>Why the node last started looking.</summary>
    public string? LookingReason { get; private set; }

    private void StartLooking(string reason)
    {
        LeaveRole();
        DisconnectClients(Backends.CoordinationError.ConnectionLoss);
        SetState(PeerState.Looking, ZabPhase.Election);
        LookingReason = reason;
        CancelElectionTimers();
        if (IsRemoved)
        {
            return;
        }

        _round++;
        _recvSet.Clear();
        _outOfElection.Clear();
        _proposal = InitialVote();
        if (_isVoter)
        {
            _recvSet[_myId] = (_proposal, PeerState.Looking);
        }

        SendNotifications();
        _notificationTimeout = FinalizeWait;
        ScheduleNotificationTimer();
        CheckRecvSetQuorum();
    }

    private Vote InitialVote() =>
        !_isVoter ? Vote.None
        : HasDefect(ProtocolDefects.ElectionIgnoresHistory) ? new Vote(_myId, 0, 0)
        : new Vote(_myId, LastLoggedZxid, _storage.CurrentEpoch);

    private Notification MyNotification() =>
        State == PeerState.Looking
            ? new Notification(_myId, State, _round, _proposal, _isVoter, _viewVersion, _viewMembers)
            : new Notification(_myId, State, _decidedRound, _currentVote, _isVoter, _viewVersion, _viewMembers);

    private void SendNotifications()
    {
        var notification = MyNotification();
        foreach (var member in _view)
        {
            if (member.ServerId != _myId)
            {
                SendDatagram(member.ServerId, notification);
            }
        }
    }

    private void ScheduleNotificationTimer()
    {
        _notificationTimer = Loop.Schedule(_notificationTimeout, () =>
        {
            if (State != PeerState.Looking || IsRemoved)
            {
                return;
            }

            // Still undecided: say it again, and back off. ZooKeeper resends only when nothing arrived, as TCP
            // carries its notifications; ours are datagrams that may be lost while others keep arriving.
            SendNotifications();
            var doubled = _notificationTimeout * 2;
            _notificationTimeout = doubled < _options.MaxNotificationInterval ? doubled : _options.MaxNotificationInterval;
            ScheduleNotificationTimer();
        });
    }

    private void CancelElectionTimers()
    {
        _notificationTimer?.Dispose();
        _notificationTimer = null;
        _finalizeTimer?.Dispose();
        _finalizeTimer = null;
    }

    private bool IsElectable(Vote vote) => _voters.Contains(vote.Leader);

    private void OnNotification(Notification n)
    {
        if (n.ConfigVersion > _viewVersion)
        {
            // A newer committed configuration than ours: count quorums in it from now on.
            _adoptedConfig = (n.ConfigVersion, n.Members);
            RefreshView();
            if (State == PeerState.Looking)
            {
                _proposal = _isVoter && IsElectable(_proposal) ? _proposal : InitialVote();
                _recvSet.Clear();
                if (_isVoter)
                {
                    _recvSet[_myId] = (_proposal, PeerState.Looking);
                }

                ResetFinalize();
            }
        }

        if (State != PeerState.Looking)
        {
            // A looking peer (a restarted member, a joiner) learns the leader from our answer.
            if (n.State == PeerState.Looking)
            {
                SendDatagram(n.Sid, MyNotification());
            }

            return;
        }

        if (n.State == PeerState.Looking)
        {
            if (!_isVoter || !n.SenderVotes || !_voters.Contains(n.Sid))
            {
                return;
            }

            if (n.Round > _round)
            {
                _round = n.Round;
                _recvSet.Clear();
                var mine = InitialVote();
                _proposal = IsElectable(n.Vote) && n.Vote.IsBetterThan(mine) ? n.Vote : mine;
                _recvSet[_myId] = (_proposal, PeerState.Looking);
                ResetFinalize();
                SendNotifications();
            }
            else if (n.Round < _round)
            {
                SendDatagram(n.Sid, MyNotification());
                return;
            }
            else if (IsElectable(n.Vote) && n.Vote.IsBetterThan(_proposal))
            {
                _proposal = n.Vote;
                _recvSet[_myId] = (_proposal, PeerState.Looking);
                ResetFinalize();
                SendNotifications();
            }
            else if (n.Vote != _proposal)
            {
                // The sender backs a worse candidate: tell it ours, in case our last notification was lost.
                SendDatagram(n.Sid, MyNotification());
            }

            _recvSet[n.Sid] = (n.Vote, n.State);
            CheckRecvSetQuorum();
            return;
        }

        // The sender follows or leads: join the ensemble it is in if a quorum agrees. A leader this node's
        // (possibly outdated) configuration does not list must still hear from us, or it never answers.
        if (n.Vote.Leader != _myId && n.Vote.Leader != n.Sid && _view.All(m => m.ServerId != n.Vote.Leader)
            && !_outOfElection.ContainsKey(n.Vote.Leader))
        {
            SendDatagram(n.Vote.Leader, MyNotification());
        }

        if (n.Round == _round && _isVoter && _voters.Contains(n.Sid))
        {
            _recvSet[n.Sid] = (n.Vote, n.State);
            if (RecvSetAgrees(n.Vote) && LeaderConfirmed(n.Vote.Leader, _recvSet))
            {
                Decide(n.Vote, n.Round);
                return;
            }
        }

        _outOfElection[n.Sid] = (n.Vote, n.Round, n.State);
        if (OutOfElectionAgrees(n.Vote) && LeaderConfirmedOut(n.Vote.Leader))
        {
            _round = n.Round;
            Decide(n.Vote, n.Round);
        }
    }

    private bool RecvSetAgrees(Vote vote)
    {
        var count = 0;
        foreach (var (sid, entry) in _recvSet)
        {
            if (_voters.Contains(sid) && entry.Vote == vote)
            {
                count++;
            }
        }

        return QuorumMath.IsQuorum(count, _voters.Count);
    }

    private bool OutOfElectionAgrees(Vote vote)
    {
        var count = 0;
        foreach (var (sid, entry) in _outOfElection)
        {
            if (_voters.Contains(sid) && entry.Vote.Leader == vote.Leader && entry.Vote.PeerEpoch == vote.PeerEpoch)
            {
                count++;
            }
        }

        return QuorumMath.IsQuorum(count, _voters.Count);
    }

    private bool LeaderConfirmed(int leader, Dictionary<int, (Vote Vote, PeerState State)> votes) =>
        leader == _myId || votes.TryGetValue(leader, out var v) && v.State == PeerState.Leading;

    private bool LeaderConfirmedOut(int leader) =>
        leader != _myId && _outOfElection.TryGetValue(leader, out var v) && v.State == PeerState.Leading;

    private void CheckRecvSetQuorum()
    {
        if (_isVoter && _finalizeTimer is null && RecvSetAgrees(_proposal))
        {
            // A quorum agrees; wait a little for a better vote before deciding.
            _finalizeTimer = Loop.Schedule(FinalizeWait, () =>
            {
                _finalizeTimer = null;
                if (State == PeerState.Looking && !IsRemoved && RecvSetAgrees(_proposal))
                {
                    Decide(_proposal, _round);
                }
            });
        }
    }

    private void ResetFinalize()
    {
        _finalizeTimer?.Dispose();
        _finalizeTimer = null;
    }

    private void Decide(Vote vote, long round)
    {
        CancelElectionTimers();
        _currentVote = vote;
        _decidedRound = round;
        if (vote.Leader == _myId)
        {
            BecomeLeader();
        }
        else
        {
            StartLearning(vote.Leader, observer: !_isVoter);
        }
    }
}
