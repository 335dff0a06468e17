using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Data;

public sealed class SqliteEventHistoryTests : DatabaseTest
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private SqliteEventHistory History => new(Database);

    [Fact]
    public async Task QueryAsync_EnsembleTimeRangeAndKind_MatchingNewestFirstLastAppendedFirstWithinARound()
    {
        EnsembleEvent[] events =
        [
            new LeaderElected("demo", T0, null, 1, 1, null),
            new LeaderLost("demo", T0.AddSeconds(10), 1, 1),
            new QuorumLost("demo", T0.AddSeconds(10), 1, 3),
            new LeaderElected("demo", T0.AddSeconds(11), 1, 2, 2, TimeSpan.FromMilliseconds(1000)),
            new QuorumRestored("demo", T0.AddSeconds(11), 2, 3, TimeSpan.FromSeconds(1)),
            new LeaderElected("other", T0.AddSeconds(5), null, 3, 1, null),
        ];
        await History.AppendAsync([.. events.Select(e => RecordedEvent.From(e)!)], CancellationToken.None);

        var demo = await History.QueryAsync(new EventHistoryQuery { Ensemble = "demo" }, CancellationToken.None);
        var window = await History.QueryAsync(new EventHistoryQuery { From = T0.AddSeconds(5), To = T0.AddSeconds(11) }, CancellationToken.None);
        var elections = await History.QueryAsync(new EventHistoryQuery { Kinds = [EnsembleEventKind.LeaderElected], Limit = 2 }, CancellationToken.None);

        Assert.Equal([EnsembleEventKind.QuorumRestored, EnsembleEventKind.LeaderElected, EnsembleEventKind.QuorumLost, EnsembleEventKind.LeaderLost, EnsembleEventKind.LeaderElected], demo.Select(e => e.Kind));
        Assert.Equal(["demo/QuorumLost", "demo/LeaderLost", "other/LeaderElected"], window.Select(e => $"{e.Ensemble}/{e.Kind}"));
        Assert.Equal([2, 3], elections.Select(e => e.ServerId));
        var elected = demo[1];
        Assert.Equal(("server 2 leads epoch 2 (was server 1); 1000 ms without a leader", 2L, TimeSpan.FromSeconds(1)), (elected.Summary, elected.Epoch!.Value, elected.Duration!.Value));
        Assert.Equal(T0.AddSeconds(11), elected.Timestamp);
    }
}
