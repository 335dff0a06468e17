using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Portal.History;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.History;

public sealed class EnsembleHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Apply_Batches_ElectionsEventsAndRatesKeptApart()
    {
        var history = new EnsembleHistory("alpha");

        history.Apply(
            [
                new LeaderElected("alpha", T0, null, 1, 1, null),
                new HeartbeatObserved("alpha", T0, 2, PeerState.Following, T0, 1),
                new ThroughputSample("alpha", T0, 30, 10, 1, 2, TimeSpan.FromSeconds(1)),
                new ThroughputSample("alpha", T0, 3, 1, 1, 2, TimeSpan.FromSeconds(1), ServerId: 2),
            ],
            null);
        history.Apply([new LeaderLost("alpha", T0.AddSeconds(1), 1, 1)], null);

        var cut = history.Cut();
        Assert.Equal(T0.AddSeconds(1), cut.LastRound);
        Assert.Single(cut.Elections);
        Assert.Equal([EnsembleEventKind.LeaderElected, EnsembleEventKind.LeaderLost], cut.Events.Select(e => e.Kind)); // no samples
        Assert.Equal(T0.AddSeconds(1), cut.LeaderlessSince);
        Assert.Equal(10, history.NewestRate(null)!.Value.WritesPerSecond);
        Assert.Equal(1, history.NewestRate(2)!.Value.WritesPerSecond);
        Assert.Null(history.NewestRate(3));
    }

    [Fact]
    public void Apply_OperationProgress_NeitherLoggedNorCountedInTheLastRound()
    {
        // Progress is stamped by the coordinator's clock, later than the probe round it may be published before.
        var history = new EnsembleHistory("alpha");
        var operation = new OperationRecord { Id = Guid.NewGuid(), Ensemble = "alpha", Kind = OperationKind.Failover, Title = "t", RequestedBy = "a", StartedAt = T0 };

        history.Apply([new LeaderLost("alpha", T0, 1, 1), new OperationProgressed("alpha", T0.AddSeconds(5), operation)], null);

        var cut = history.Cut();
        Assert.Equal([EnsembleEventKind.LeaderLost], cut.Events.Select(e => e.Kind));
        Assert.Equal(T0, cut.LastRound);
    }

    [Fact]
    public void Apply_MoreThanCapacity_NewestEventsKept()
    {
        var history = new EnsembleHistory("alpha");

        for (var i = 0; i < EnsembleHistory.EventCapacity + 5; i++)
        {
            history.Apply([new HeartbeatMissed("alpha", T0.AddSeconds(i), 1, T0, TimeSpan.FromSeconds(1))], null);
        }

        var events = history.Cut().Events;
        Assert.Equal(EnsembleHistory.EventCapacity, events.Count);
        Assert.Equal(T0.AddSeconds(5), events[0].Timestamp);
    }

    [Fact]
    public void CopyRates_UnchangedVersion_ListLeftAlone()
    {
        var history = new EnsembleHistory("alpha");
        history.Apply([new ThroughputSample("alpha", T0, 1, 1, 1, 1, TimeSpan.FromSeconds(1))], null);
        var points = new List<RatePoint>();

        var version = history.CopyRates(null, points);
        points.Add(default); // a marker: a copy would clear it
        var again = history.CopyRates(null, points, version);

        Assert.Equal(version, again);
        Assert.Equal(2, points.Count);
        history.Apply([new ThroughputSample("alpha", T0.AddSeconds(1), 1, 1, 1, 1, TimeSpan.FromSeconds(1))], null);
        Assert.NotEqual(version, history.CopyRates(null, points, version));
        Assert.Equal(2, points.Count);
        Assert.Equal(T0.AddSeconds(1), points[1].At);
    }

    [Fact]
    public void KeepRaw_MemberGoesDown_LastAnswerKept()
    {
        var history = new EnsembleHistory("alpha");
        var serving = Snapshots.Of("alpha", T0, leader: 1, epoch: 1);
        serving = serving with { Statuses = [.. serving.Statuses.Select(s => s with { Raw = $"Mode: {s.State}" })] };
        var down = Snapshots.Of("alpha", T0.AddSeconds(1), leader: 1, epoch: 1, down: 2);
        down = down with { Statuses = [.. down.Statuses.Select(s => s with { Raw = s.State == PeerState.Down ? "partial" : "Mode: x" })] };

        history.KeepRaw(serving);
        history.Apply([], down);

        Assert.Equal("Mode: Following", history.LastRaw(2)!.Text);
        Assert.Equal(T0, history.LastRaw(2)!.ProbedAt);
        Assert.Equal("Mode: x", history.LastRaw(1)!.Text);
    }
}
