using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Tests.Ensembles;

public sealed class EnsembleSnapshotTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Quorum_JoinerSyncedButNotAdded_CountsInNoQuorum()
    {
        // Three committed voters, two of them down; a provisioned joiner follows the leader.
        var snapshot = new EnsembleSnapshot
        {
            Name = "grow",
            Backend = BackendKind.Embedded,
            Members = [.. Enumerable.Range(1, 4).Select(id => new MemberSpec { ServerId = id })],
            Joining = [4],
            Statuses =
            [
                Status(1, PeerState.Leading),
                Status(2, PeerState.Down),
                Status(3, PeerState.Down),
                Status(4, PeerState.Following),
            ],
            TakenAt = At,
        };

        Assert.Equal(3, snapshot.VoterCount);
        Assert.Equal(1, snapshot.ServingVoters);
        Assert.False(snapshot.HasQuorum);
    }

    [Fact]
    public void FailuresLeft_FiveVotersAllServing_Two()
    {
        var snapshot = new EnsembleSnapshot
        {
            Name = "five",
            Backend = BackendKind.Embedded,
            Members = [.. Enumerable.Range(1, 5).Select(id => new MemberSpec { ServerId = id })],
            Statuses = [Status(1, PeerState.Following), Status(2, PeerState.Leading), Status(3, PeerState.Following), Status(4, PeerState.Following), Status(5, PeerState.Following)],
            TakenAt = At,
        };

        Assert.Equal(2, snapshot.LeaderId);
        Assert.True(snapshot.HasQuorum);
        Assert.Equal(2, snapshot.FailuresLeft);
    }

    [Fact]
    public void LeaderId_ElectedButNotSynced_NoLeaderYet()
    {
        var snapshot = new EnsembleSnapshot
        {
            Name = "electing",
            Backend = BackendKind.Embedded,
            Members = [.. Enumerable.Range(1, 3).Select(id => new MemberSpec { ServerId = id })],
            Statuses =
            [
                Status(1, PeerState.Leading) with { Phase = ZabPhase.Synchronization },
                Status(2, PeerState.Following) with { Phase = ZabPhase.Synchronization },
                Status(3, PeerState.Looking) with { Phase = ZabPhase.Election },
            ],
            TakenAt = At,
        };

        Assert.Null(snapshot.LeaderId);
        Assert.False(snapshot.HasQuorum);
    }

    private static MemberStatus Status(int id, PeerState state) => new() { ServerId = id, ProbedAt = At, State = state, Epoch = 1 };
}
