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
    private bool _notificationSinceTimer;

    /// <summary>When the node last started looking, for diagnostics.</summary>
    public TimeSpan LookingSince { get; private set; }

    /// <summary>Why the node last started looking.</summary>
    public string? LookingReason { get; private set; }

    private void StartLooking(string reason)
    {
        LeaveRole();
        DisconnectClients(Backends.CoordinationError.ConnectionLoss);
        SetState(PeerState.Looking, ZabPhase.Election);
        LookingSince = Now;
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
        _notificationSinceTimer = false;
        ScheduleNotificationTimer();
        CheckRecvSetQuorum();
    }

    private Vote InitialVote() =>
        _isVoter ? new Vote(_myId, LastLoggedZxid, _options.Defects.HasFlag(ProtocolDefects.ForgetAcceptedEpoch) ? 0 : _storage.CurrentEpoch) : Vote.None;

    private Notification MyNotification() =>
        State == PeerState.Looking
            ? new Notification(_myId, State, _round, _proposal, _isVoter)
            : new Notification(_myId, State, _decidedRound, _currentVote, _isVoter);

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

            if (!_notificationSinceTimer)
            {
                // Nothing heard for a whole interval: say it again, and back off.
                SendNotifications();
                var doubled = _notificationTimeout * 2;
                _notificationTimeout = doubled < _options.MaxNotificationInterval ? doubled : _options.MaxNotificationInterval;
            }

            _notificationSinceTimer = false;
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
        if (State != PeerState.Looking)
        {
            // A looking peer (a restarted member, a joiner) learns the leader from our answer.
            if (n.State == PeerState.Looking)
            {
                SendDatagram(n.Sid, MyNotification());
            }

            return;
        }

        _notificationSinceTimer = true;
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

            _recvSet[n.Sid] = (n.Vote, n.State);
            CheckRecvSetQuorum();
            return;
        }

        // The sender follows or leads: join the ensemble it is in if a quorum agrees.
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
