using QuorumPortal.Engine.Operations;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Data;

public sealed class SqliteOperationJournalTests : DatabaseTest
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private SqliteOperationJournal Journal => new(Database);

    [Fact]
    public async Task SaveAsync_RecordWithStepsAndJson_ReadBackEqualWithStepsInPlanOrder()
    {
        var record = Record("demo", T0) with
        {
            Kind = OperationKind.ApplySettings,
            Reason = "lower tickTime",
            State = OperationState.Failed,
            EndedAt = T0.AddSeconds(7),
            Outcome = null,
            Error = "server.2 did not come back",
            Parameters = new Dictionary<string, string> { ["tickTime"] = "100", ["with, comma"] = "a \"quoted\" value" },
            Preflight = [PreflightCheck.Warning("single voter", "it is unavailable while it restarts"), PreflightCheck.Info("order", "1, 3, 2")],
            Measurements = new Dictionary<string, double> { ["leaderlessMs"] = 412.5, ["nan"] = double.NaN },
            Steps =
            [
                new("record settings", StepState.Succeeded, T0, T0.AddSeconds(1), "tickTime 200 → 100"),
                new("restart server.3", StepState.Succeeded, T0.AddSeconds(1), T0.AddSeconds(3)),
                new("restart server.1", StepState.Failed, T0.AddSeconds(3), T0.AddSeconds(6), "timeout"),
                new("restart server.2"),
                new("Undo: previous settings on restarted members", StepState.Undone, T0.AddSeconds(6), T0.AddSeconds(7)),
            ],
        };

        await Journal.SaveAsync(record, CancellationToken.None);
        var read = await Journal.GetAsync(record.Id, CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(record.Steps, read.Steps);
        Assert.Equal(record.Preflight, read.Preflight);
        Assert.Equal(record.Parameters, read.Parameters);
        Assert.Equal(412.5, read.Measurements["leaderlessMs"]);
        Assert.True(double.IsNaN(read.Measurements["nan"]));
        Assert.Equal(record with { Steps = read.Steps, Preflight = read.Preflight, Parameters = read.Parameters, Measurements = read.Measurements }, read);
        Assert.Equal("Undo: previous settings on restarted members", read.CurrentStep?.Name);
    }

    [Fact]
    public async Task SaveAsync_SameIdAgain_ReplacesRecordAndItsSteps()
    {
        var running = Record("demo", T0) with { Steps = [new("a", StepState.Running, T0), new("b"), new("c")] };
        await Journal.SaveAsync(running, CancellationToken.None);

        var done = running with { State = OperationState.Succeeded, EndedAt = T0.AddSeconds(2), Steps = [new("a", StepState.Succeeded, T0, T0.AddSeconds(1)), new("b", StepState.Skipped)] };
        await Journal.SaveAsync(done, CancellationToken.None);

        var all = await Journal.ListAsync(null, 10, CancellationToken.None);
        var read = Assert.Single(all);
        Assert.Equal(OperationState.Succeeded, read.State);
        Assert.Equal(done.Steps, read.Steps);
        Assert.Empty(await Journal.ListUnfinishedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ListAsync_StartsWithDifferentOffsets_NewestInstantFirstFilteredAndLimited()
    {
        // Text order of these times is the opposite of their instants: the converter must order by the instant.
        var first = Record("demo", new DateTimeOffset(2025, 6, 1, 14, 0, 0, TimeSpan.FromHours(4)));   // 10:00 UTC
        var second = Record("demo", new DateTimeOffset(2025, 6, 1, 11, 0, 0, TimeSpan.Zero));          // 11:00 UTC
        var third = Record("demo", new DateTimeOffset(2025, 6, 1, 5, 0, 0, TimeSpan.FromHours(-7)));   // 12:00 UTC
        var other = Record("other", new DateTimeOffset(2025, 6, 1, 13, 0, 0, TimeSpan.Zero));
        foreach (var record in new[] { second, other, third, first })
        {
            await Journal.SaveAsync(record, CancellationToken.None);
        }

        var demo = await Journal.ListAsync("demo", 10, CancellationToken.None);
        var newestTwo = await Journal.ListAsync(null, 2, CancellationToken.None);

        Assert.Equal([third.Id, second.Id, first.Id], demo.Select(r => r.Id));
        Assert.Equal([other.Id, third.Id], newestTwo.Select(r => r.Id));
        Assert.Equal(first.StartedAt, demo[2].StartedAt);
    }

    [Fact]
    public async Task ListUnfinishedAsync_MixedStates_OnlyRunningOldestFirst()
    {
        var late = Record("a", T0.AddMinutes(5));
        var early = Record("b", T0);
        await Journal.SaveAsync(late, CancellationToken.None);
        await Journal.SaveAsync(early, CancellationToken.None);
        await Journal.SaveAsync(Record("c", T0) with { State = OperationState.Refused, EndedAt = T0 }, CancellationToken.None);
        await Journal.SaveAsync(Record("d", T0) with { State = OperationState.Interrupted, EndedAt = T0 }, CancellationToken.None);

        var unfinished = await Journal.ListUnfinishedAsync(CancellationToken.None);

        Assert.Equal([early.Id, late.Id], unfinished.Select(r => r.Id));
    }

    [Fact]
    public async Task GetAsync_UnknownId_Null()
    {
        Assert.Null(await Journal.GetAsync(Guid.NewGuid(), CancellationToken.None));
    }

    internal static OperationRecord Record(string ensemble, DateTimeOffset startedAt) => new()
    {
        Id = Guid.NewGuid(),
        Ensemble = ensemble,
        Kind = OperationKind.Failover,
        Title = "Fail over " + ensemble,
        RequestedBy = "alice",
        StartedAt = startedAt,
    };
}
