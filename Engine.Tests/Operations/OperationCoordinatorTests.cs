using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Tests.Testing;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Operations;

/// <summary>The coordinator's own rules: one operation per ensemble, refusals journaled, undo on failure, interruption.</summary>
public sealed class OperationCoordinatorTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly InMemoryOperationJournal _journal = new();
    private readonly EnsembleEventStreams _streams = new();
    private EmbeddedEnsemble _ensemble = null!;
    private OperationCoordinator _coordinator = null!;

    public async Task InitializeAsync()
    {
        _ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("ops", 3, EnsembleSettings.Fast));
        output.WriteLine($"embedded ensemble seed {_ensemble.Seed}");
        _coordinator = new OperationCoordinator(_journal, TimeProvider.System, NullLogger<OperationCoordinator>.Instance, _streams);
        await _ensemble.StartAsync(CancellationToken.None);
        await _ensemble.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, Bound);
    }

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        await _ensemble.DisposeAsync();
        _streams.Dispose();
    }

    [Fact]
    public async Task Start_WhileAnotherRuns_BusyNamingItAndItsStart()
    {
        var blocker = new BlockingOperation();
        var first = await _coordinator.StartAsync(_ensemble, blocker, new("alice"), CancellationToken.None);
        await blocker.Entered.Task.WaitAsync(Bound);

        var second = await _coordinator.StartAsync(_ensemble, new FailoverOperation(FailoverMode.KillLeader), new("bob"), CancellationToken.None);

        Assert.Equal(OperationStartStatus.Busy, second.Status);
        Assert.StartsWith("busy: Blocking since ", second.Message, StringComparison.Ordinal);
        Assert.Contains("UTC (at step 'wait')", second.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await _ensemble.WaitForAsync(s => s.HasQuorum, Bound)).ServingVoters);
        blocker.Release.SetResult();
        Assert.Equal(OperationState.Succeeded, (await first.Completion.WaitAsync(Bound)).State);
        var journaled = await _journal.ListAsync("ops", 10, CancellationToken.None);
        Assert.Contains(journaled, r => r.State == OperationState.Refused && r.RequestedBy == "bob");
    }

    [Fact]
    public async Task Start_CallerCancelsAfterStart_OperationCarriesOn()
    {
        var blocker = new BlockingOperation();
        using var browser = new CancellationTokenSource();
        var start = await _coordinator.StartAsync(_ensemble, blocker, new("alice"), browser.Token);
        await blocker.Entered.Task.WaitAsync(Bound);

        await browser.CancelAsync();
        blocker.Release.SetResult();

        Assert.Equal(OperationState.Succeeded, (await start.Completion.WaitAsync(Bound)).State);
    }

    [Fact]
    public async Task AddMembers_ReconfigFails_JoinerRemovedAndRolledBack()
    {
        await using var faulty = new FaultyBackend(_ensemble) { FailReconfigure = "KeeperErrorCode = NewConfigNoQuorum (injected)" };

        var start = await _coordinator.StartAsync(faulty, new AddMembersOperation(new AddMembersRequest { Count = 1 }), new("alice"), CancellationToken.None);
        var record = await start.Completion.WaitAsync(Bound);

        Assert.Equal(OperationState.RolledBack, record.State);
        Assert.Contains("no quorum of synced members", record.Error, StringComparison.Ordinal);
        Assert.Contains("the ensemble is as it was before", record.Error, StringComparison.Ordinal);
        Assert.Contains(record.Steps, s => s.Name == "server.4: reconfig add" && s.State == StepState.Failed);
        Assert.Contains(record.Steps, s => s.Name == "server.4: verify synced, leader stable" && s.State == StepState.Skipped);
        Assert.Contains(record.Steps, s => s.Name == "Undo: remove server.4" && s.State == StepState.Succeeded);
        Assert.DoesNotContain(_ensemble.Members, m => m.ServerId == 4);
        Assert.Equal(3, _ensemble.Configuration.Count);
    }

    [Fact]
    public async Task AddMembers_SecondJoinerFails_FirstStaysAndErrorSaysSo()
    {
        await using var faulty = new FaultyBackend(_ensemble) { FailReconfigureFor = 5, FailReconfigure = "injected" };

        var start = await _coordinator.StartAsync(faulty, new AddMembersOperation(new AddMembersRequest { Count = 2 }), new("alice"), CancellationToken.None);
        var record = await start.Completion.WaitAsync(Bound);

        Assert.Equal(OperationState.RolledBack, record.State);
        Assert.Contains("Server 4 was added before and stays", record.Error, StringComparison.Ordinal);
        Assert.Equal([1, 2, 3, 4], _ensemble.Configuration.Select(m => m.ServerId).Order());
        Assert.DoesNotContain(_ensemble.Members, m => m.ServerId == 5);
    }

    [Fact]
    public async Task AddMembers_IdClashAndPortClash_RefusedWithEachReason()
    {
        var request = new AddMembersRequest
        {
            Members = [new MemberSpec { ServerId = 2 }, new MemberSpec { ServerId = 9, QuorumPort = 40001, ElectionPort = 40001 }, new MemberSpec { ServerId = 300 }],
        };

        var start = await _coordinator.StartAsync(_ensemble, new AddMembersOperation(request), new("alice"), CancellationToken.None);

        Assert.Equal(OperationStartStatus.Refused, start.Status);
        Assert.Contains("server id 2 is already used in ops", start.Message, StringComparison.Ordinal);
        Assert.Contains("ports must differ", start.Message, StringComparison.Ordinal);
        Assert.Contains("server.300 is out of range", start.Message, StringComparison.Ordinal);
        Assert.Equal(3, _ensemble.Members.Count);
    }

    [Fact]
    public async Task Preflight_ExpandFromFour_EvenSizeWarnsAndQuorumShown()
    {
        var operation = new AddMembersOperation(new AddMembersRequest { Count = 1 });

        var report = await _coordinator.PreflightAsync(_ensemble, operation, CancellationToken.None);

        Assert.True(report.CanProceed);
        Assert.Equal(new QuorumChange(3, 4, 0, 0, 2, 3, 1, 1), report.Quorum);
        Assert.Contains(report.Warnings, w => w.Name == "even size" && w.Message.StartsWith("4 voters tolerate 1 failure", StringComparison.Ordinal));
        Assert.Equal(5, report.Steps.Count);
        Assert.Equal(3, _ensemble.Members.Count);
    }

    [Fact]
    public async Task Dispose_WhileRunning_InterruptedAtTheStepReached()
    {
        var blocker = new BlockingOperation();
        var start = await _coordinator.StartAsync(_ensemble, blocker, new("alice"), CancellationToken.None);
        await blocker.Entered.Task.WaitAsync(Bound);

        await _coordinator.DisposeAsync();

        var record = await start.Completion.WaitAsync(Bound);
        Assert.Equal(OperationState.Interrupted, record.State);
        Assert.Contains("at step 'wait'", record.Error, StringComparison.Ordinal);
        Assert.Equal(StepState.Interrupted, record.Steps.Single(s => s.Name == "wait").State);
        Assert.Equal(OperationState.Interrupted, (await _journal.ListAsync("ops", 1, CancellationToken.None)).Single().State);
    }

    [Fact]
    public async Task Dispose_TwoCallersAtOnce_BothReturnOnlyOnceTheInterruptionIsJournaled()
    {
        var blocker = new BlockingOperation();
        await _coordinator.StartAsync(_ensemble, blocker, new("alice"), CancellationToken.None);
        await blocker.Entered.Task.WaitAsync(Bound);

        // A host may stop twice (the factory and the app's own shutdown); the second caller must not return early.
        var first = _coordinator.DisposeAsync().AsTask();
        var second = _coordinator.DisposeAsync().AsTask();
        await second.WaitAsync(Bound);

        Assert.Equal(OperationState.Interrupted, (await _journal.ListAsync("ops", 1, CancellationToken.None)).Single().State);
        await first.WaitAsync(Bound);
    }

    [Fact]
    public async Task RecoverInterrupted_RunningRecordFromBeforeARestart_MarkedInterrupted()
    {
        var left = new OperationRecord
        {
            Id = Guid.NewGuid(),
            Ensemble = "ops",
            Kind = OperationKind.AddMembers,
            Title = "Expand to 5",
            RequestedBy = "alice",
            StartedAt = DateTimeOffset.UtcNow.AddMinutes(-1),
            Steps = [new("server.4: provision", StepState.Succeeded), new("server.4: start", StepState.Running), new("server.4: catch up")],
        };
        await _journal.SaveAsync(left, CancellationToken.None);

        var recovered = await _coordinator.RecoverInterruptedAsync(CancellationToken.None);

        var record = Assert.Single(recovered);
        Assert.Equal(OperationState.Interrupted, record.State);
        Assert.Contains("at step 'server.4: start'", record.Error, StringComparison.Ordinal);
        Assert.Empty(await _journal.ListUnfinishedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Start_Progress_PublishedToTheEnsembleStream()
    {
        using var subscription = _streams.Subscribe("ops", CancellationToken.None);
        await using var collector = new EventCollector(subscription);
        var blocker = new BlockingOperation();

        var start = await _coordinator.StartAsync(_ensemble, blocker, new("alice"), CancellationToken.None);
        blocker.Release.SetResult();
        await start.Completion.WaitAsync(Bound);

        var seen = await collector.WaitForAsync(events => events.OfType<OperationProgressed>().Any(e => e.Operation.State == OperationState.Succeeded));
        var progress = seen.OfType<OperationProgressed>().ToList();
        Assert.All(progress, e => Assert.Equal(start.Record.Id, e.Operation.Id));
        Assert.Equal(OperationState.Running, progress[0].Operation.State);
    }

    /// <summary>An operation with one step that waits for the test; cancellation (the portal stopping) ends it.</summary>
    private sealed class BlockingOperation : EnsembleOperation
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override OperationKind Kind => OperationKind.Failover;

        public override string Title => "Blocking";

        public override IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string>();

        public override Task<PreflightReport> PreflightAsync(OperationTarget target, CancellationToken cancellationToken) =>
            Task.FromResult(new PreflightReport([], ["wait"]));

        protected internal override async Task<string> ExecuteAsync(OperationContext context)
        {
            await context.StepAsync("wait", async ct =>
            {
                Entered.SetResult();
                await Release.Task.WaitAsync(ct);
                return null;
            });
            return "released";
        }
    }
}
