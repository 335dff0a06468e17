using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Portal.Model;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Model;

public sealed class HeartbeatAgeTests
{
    private static readonly DateTimeOffset At = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Of_HeartbeatAfterProbe_ZeroNotNegative()
    {
        var status = Snapshots.Serving(1, At, PeerState.Following, 2, 1) with { LastHeartbeat = At.AddMilliseconds(3) };

        var age = HeartbeatAge.Of(status, TimeSpan.FromMilliseconds(500));

        Assert.Equal(TimeSpan.Zero, age.Age);
        Assert.Equal(HeartbeatLevel.Fresh, age.Level);
        Assert.Equal("0 ms", age.Text);
    }

    [Fact]
    public void Of_DownMemberWithOldHeartbeat_None()
    {
        var status = MemberStatus.Down(1, At, "gone") with { LastHeartbeat = At.AddMinutes(-1) };

        var age = HeartbeatAge.Of(status, TimeSpan.FromMilliseconds(500));

        Assert.Null(age.Age);
        Assert.Equal("qp-hb-none", age.CssClass);
    }

    [Theory]
    [InlineData(0, "0 ms")]
    [InlineData(999, "999 ms")]
    [InlineData(1000, "1.0 s")]
    [InlineData(59_900, "59.9 s")]
    [InlineData(200_000, "3 min 20 s")]
    public void Short_Durations_ReadableUnits(int ms, string text) =>
        Assert.Equal(text, Durations.Short(TimeSpan.FromMilliseconds(ms)));
}
