using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Persistence;

namespace QuorumPortal.Engine.Tests.Persistence;

public sealed class RecordedEventTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void From_SamplesAndOperationProgress_NotKept()
    {
        var operation = new OperationRecord { Id = Guid.NewGuid(), Ensemble = "e", Kind = OperationKind.Failover, Title = "t", RequestedBy = "a", StartedAt = T0 };

        Assert.Null(RecordedEvent.From(new HeartbeatObserved("e", T0, 1, PeerState.Following, T0, 0.1)));
        Assert.Null(RecordedEvent.From(new ThroughputSample("e", T0, 10, 5, 0.2, 1, TimeSpan.FromSeconds(1))));
        Assert.Null(RecordedEvent.From(new OperationProgressed("e", T0, operation)));
    }

    [Fact]
    public void From_LeadershipQuorumAndMembership_KeptWithSummaryMemberEpochAndDuration()
    {
        var elected = RecordedEvent.From(new LeaderElected("e", T0, 1, 3, 7, TimeSpan.FromMilliseconds(412)))!;
        var restored = RecordedEvent.From(new QuorumRestored("e", T0, 2, 3, TimeSpan.FromSeconds(2)))!;
        var members = RecordedEvent.From(new MembershipChanged("e", T0, [new MemberSpec { ServerId = 1 }, new MemberSpec { ServerId = 4, Role = MemberRole.Observer }], 0x100000003))!;
        var state = RecordedEvent.From(new PeerStateChanged("e", T0, 2, PeerState.Following, PeerState.Down, 7))!;

        Assert.Equal(("server 3 leads epoch 7 (was server 1); 412 ms without a leader", 3, 7L), (elected.Summary, elected.ServerId!.Value, elected.Epoch!.Value));
        Assert.Equal(("quorum restored: 2 of 3 voters serving after 2000 ms", TimeSpan.FromSeconds(2)), (restored.Summary, restored.Duration!.Value));
        Assert.Equal("members now server.1, server.4 (observer), config version 0x100000003", members.Summary);
        Assert.Equal(("server 2: Following → Down", EnsembleEventKind.PeerStateChanged), (state.Summary, state.Kind));
    }

    [Fact]
    public async Task InMemoryEventHistory_Query_FiltersAndNewestFirst()
    {
        var history = new InMemoryEventHistory();
        await history.AppendAsync(
        [
            RecordedEvent.From(new LeaderElected("a", T0, null, 1, 1, null))!,
            RecordedEvent.From(new LeaderLost("a", T0.AddSeconds(1), 1, 1))!,
            RecordedEvent.From(new QuorumLost("a", T0.AddSeconds(1), 1, 3))!,
            RecordedEvent.From(new LeaderElected("b", T0.AddSeconds(2), null, 2, 1, null))!,
        ], CancellationToken.None);

        var ofA = await history.QueryAsync(new EventHistoryQuery { Ensemble = "a" }, CancellationToken.None);
        var lost = await history.QueryAsync(new EventHistoryQuery { Kinds = [EnsembleEventKind.LeaderLost, EnsembleEventKind.QuorumLost], To = T0.AddSeconds(2), Limit = 1 }, CancellationToken.None);

        Assert.Equal([EnsembleEventKind.QuorumLost, EnsembleEventKind.LeaderLost, EnsembleEventKind.LeaderElected], ofA.Select(e => e.Kind));
        Assert.Equal(EnsembleEventKind.QuorumLost, Assert.Single(lost).Kind);
    }
}
