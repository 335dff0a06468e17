using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Tests.Backends;

/// <summary>The operator-facing texts: what happened, the state now, what to do.</summary>
public sealed class ReconfigurationExceptionTests
{
    private static readonly (long, IReadOnlyList<MemberSpec>) Committed =
        (0x2_0000_0005L, [new MemberSpec { ServerId = 1 }, new MemberSpec { ServerId = 2 }, new MemberSpec { ServerId = 5, Role = MemberRole.Observer }]);

    [Theory]
    [InlineData(CoordinationError.ReconfigInProgress, "another membership change was being committed when this one arrived", "with that other change in it")]
    [InlineData(CoordinationError.NewConfigNoQuorum, "fewer than a majority of the participants of the new configuration are running and synced", "Start the members that are down")]
    [InlineData(CoordinationError.BadVersion, "the membership changed since it was read (the change was planned against version 100000000)", "plan the change again")]
    [InlineData(CoordinationError.NoAuth, "may not change /zookeeper/config", "super user")]
    public void Refused_EachCode_SaysWhatStateAndWhatToDo(CoordinationError error, string what, string todo)
    {
        var e = ReconfigurationException.Refused("prod", error, null, 0x1_0000_0000L, Committed, [4], JoinerOutcome.RolledBack);

        Assert.StartsWith("prod: the membership change was refused: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing of it was applied; the committed configuration is version 200000005 with participants 1,2 and observers 5.", e.Message, StringComparison.Ordinal);
        Assert.Contains("The joiner server.4 was stopped and decommissioned.", e.Message, StringComparison.Ordinal);
        Assert.Contains(todo, e.Message, StringComparison.Ordinal);
        Assert.Equal(error, e.Error);
        Assert.False(e.OutcomeUnknown);
        Assert.Equal(0x2_0000_0005L, e.ConfigVersion);
    }

    [Fact]
    public void Refused_JoinersKeptAndConfigurationUnreadable_SaysSo()
    {
        var e = ReconfigurationException.Refused("prod", CoordinationError.NewConfigNoQuorum, null, null, null, [4, 5], JoinerOutcome.LeftRunning);

        Assert.Contains("the committed configuration could not be read back", e.Message, StringComparison.Ordinal);
        Assert.Contains("The joiners server.4, server.5 are left running outside the configuration for you to retry; decommission them if you give up.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_WithJoiner_SaysTheChangeMayHaveBeenAppliedAndTheJoinerIsLeft()
    {
        var e = ReconfigurationException.Unknown("prod", new CoordinationException(CoordinationError.ConnectionLoss), [4]);

        Assert.True(e.OutcomeUnknown);
        Assert.Equal(JoinerOutcome.LeftAsIs, e.JoinerOutcome);
        Assert.Contains("its outcome is unknown", e.Message, StringComparison.Ordinal);
        Assert.Contains("server.4 is left as it is, since the change may include it", e.Message, StringComparison.Ordinal);
        Assert.Contains("read its configuration", e.Message, StringComparison.Ordinal);
    }
}
