using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Tests.Ensembles;

public sealed class QuorumMathTests
{
    private static MemberSpec[] Members(int voters, int observers = 0) =>
    [
        .. Enumerable.Range(1, voters).Select(id => new MemberSpec { ServerId = id }),
        .. Enumerable.Range(voters + 1, observers).Select(id => new MemberSpec { ServerId = id, Role = MemberRole.Observer }),
    ];

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(2, 2, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(4, 3, 1)]
    [InlineData(5, 3, 2)]
    [InlineData(6, 4, 2)]
    [InlineData(7, 4, 3)]
    public void Majority_OneToSevenVoters_MatchesZooKeeper(int voters, int majority, int tolerated)
    {
        Assert.Equal(majority, QuorumMath.Majority(voters));
        Assert.Equal(tolerated, QuorumMath.FailuresTolerated(voters));
        Assert.True(QuorumMath.IsQuorum(majority, voters));
        Assert.False(QuorumMath.IsQuorum(majority - 1, voters));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(6)]
    public void FailuresTolerated_EvenSize_NoBetterThanOneFewer(int voters)
    {
        Assert.Equal(QuorumMath.FailuresTolerated(voters - 1), QuorumMath.FailuresTolerated(voters));
    }

    [Fact]
    public void IsQuorum_NoVoters_IsNever()
    {
        Assert.False(QuorumMath.IsQuorum(0, 0));
        Assert.False(QuorumMath.IsQuorum(1, 0));
        Assert.Equal(0, QuorumMath.FailuresTolerated(0));
    }

    [Fact]
    public void Majority_NegativeVoters_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => QuorumMath.Majority(-1));
    }

    [Fact]
    public void IsQuorum_AckersIncludeObserversAndStrangers_CountsOnlyVoters()
    {
        int[] voters = [1, 2, 3, 4, 5];

        Assert.False(QuorumMath.IsQuorum([1, 2, 6, 7], voters));
        Assert.True(QuorumMath.IsQuorum([1, 2, 5, 7], voters));
    }

    [Fact]
    public void IsQuorum_SameAckerTwice_CountsOnce()
    {
        Assert.False(QuorumMath.IsQuorum([1, 1], [1, 2, 3]));
        Assert.True(QuorumMath.IsQuorum([1, 3, 1], [1, 2, 3]));
    }

    [Fact]
    public void Analyze_ThreeToFive_GainsATolerableFailure()
    {
        var change = QuorumMath.Analyze(Members(3), Members(5));

        Assert.Equal(new QuorumChange(3, 5, 0, 0, 2, 3, 1, 2), change);
        Assert.False(change.LosesFaultTolerance);
        Assert.False(change.AfterIsEven);
    }

    [Fact]
    public void Analyze_FiveToThree_LosesFaultTolerance()
    {
        var change = QuorumMath.Analyze(Members(5), Members(3));

        Assert.Equal(new QuorumChange(5, 3, 0, 0, 3, 2, 2, 1), change);
        Assert.True(change.LosesFaultTolerance);
    }

    [Fact]
    public void Analyze_ThreeToFour_IsEvenWithoutGain()
    {
        var change = QuorumMath.Analyze(Members(3), Members(4));

        Assert.True(change.AfterIsEven);
        Assert.Equal((2, 3), (change.MajorityBefore, change.MajorityAfter));
        Assert.Equal(change.FailuresToleratedBefore, change.FailuresToleratedAfter);
    }

    [Fact]
    public void Analyze_AddingObservers_LeavesQuorumAlone()
    {
        var change = QuorumMath.Analyze(Members(3), Members(3, observers: 2));

        Assert.Equal(new QuorumChange(3, 3, 0, 0 + 2, 2, 2, 1, 1), change);
        Assert.False(change.LosesFaultTolerance);
        Assert.False(change.AfterIsEven);
    }

    [Fact]
    public void Analyze_ObserversOnlyAfter_HasNoFaultTolerance()
    {
        var change = QuorumMath.Analyze(Members(1), Members(0, observers: 2));

        Assert.Equal((0, 0), (change.VotersAfter, change.FailuresToleratedAfter));
        Assert.False(change.AfterIsEven);
    }
}
