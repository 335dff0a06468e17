using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Tests.Testing;
using Xunit.Abstractions;
using static QuorumPortal.Portal.Tests.Testing.EnsembleConditions;

namespace QuorumPortal.Portal.Tests.Hosting;

/// <summary>The portal stops and starts again on the same data directory: ensembles and operations come back as they were.</summary>
public sealed class RestartTests(ITestOutputHelper output) : DataDirectoryTest
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly Dictionary<string, string?> NoSettings = [];
    [Fact]
    public async Task Restart_WhileAnOperationRuns_ReportedInterruptedAtTheStepItReached()
    {
        Guid id;
        await using (var first = new PortalFactory(NoSettings, DataDirectory))
        {
            var (_, demo) = await StartSettledAsync(first);
            var blocker = new TwoStepOperation();
            var start = await first.Services.GetRequiredService<OperationCoordinator>().StartAsync(demo, blocker, new OperationRequest("alice", "restart test"), CancellationToken.None);
            Assert.True(start.Started, start.Message);
            await blocker.Waiting.Task.WaitAsync(Deadline);
            id = start.Record.Id;
        }

        // A clean stop saves the operation as interrupted itself; the next start does not have to guess.
        await using (var database = TestDatabase.Open(DataDirectory))
        {
            var saved = await new SqliteOperationJournal(database).GetAsync(id, CancellationToken.None);
            Assert.Equal((OperationState.Interrupted, StepState.Interrupted), (saved!.State, saved.Steps[1].State));
        }

        await using var second = new PortalFactory(NoSettings, DataDirectory);
        using var client = second.CreateClient();
        var record = await client.GetFromJsonAsync<OperationRecord>($"/api/operations/{id}", PortalFactory.JsonOptions);
        var listed = await client.GetFromJsonAsync<List<OperationRecord>>("/api/operations?ensemble=demo", PortalFactory.JsonOptions);
        var audited = await client.GetFromJsonAsync<List<AuditEntry>>("/api/audit?actor=alice", PortalFactory.JsonOptions);
        output.WriteLine(record?.Error);

        Assert.NotNull(record);
        Assert.Equal(OperationState.Interrupted, record.State);
        Assert.Equal("wait", record.CurrentStep?.Name);
        Assert.Equal([StepState.Succeeded, StepState.Interrupted, StepState.Pending], record.Steps.Select(s => s.State));
        Assert.Contains("at step 'wait'", record.Error, StringComparison.Ordinal);
        Assert.NotNull(record.EndedAt);
        Assert.Contains(listed!, r => r.Id == id && r.State == OperationState.Interrupted);
        var entry = Assert.Single(audited!);
        Assert.Equal((id, "Interrupted", "restart test"), (entry.OperationId, entry.Result, entry.Reason));
        await second.WaitForEnsemblesAsync(client, e => IsSettled(Demo(e)) && Demo(e)!.Members.Count == 3, Deadline);
    }

    [Fact]
    public async Task Start_RunningRecordLeftByACrash_ReportedInterruptedAtItsStepAndAudited()
    {
        // A crash leaves the journal as it was at the last save: running, in the middle of a step.
        var crashed = new OperationRecord
        {
            Id = Guid.NewGuid(),
            Ensemble = "demo",
            Kind = OperationKind.AddMembers,
            Title = "Expand to 5",
            RequestedBy = "bob",
            StartedAt = DateTimeOffset.UtcNow.AddMinutes(-1),
            Steps = [new("provision server.4", StepState.Succeeded, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(-50)),
                     new("start server.4", StepState.Running, DateTimeOffset.UtcNow.AddSeconds(-50)),
                     new("catch up server.4")],
        };
        await using (var database = TestDatabase.Open(DataDirectory))
        {
            await database.MigrateAsync();
            await new SqliteOperationJournal(database).SaveAsync(crashed, CancellationToken.None);
        }

        await using var portal = new PortalFactory(NoSettings, DataDirectory);
        using var client = portal.CreateClient();
        var record = await client.GetFromJsonAsync<OperationRecord>($"/api/operations/{crashed.Id}", PortalFactory.JsonOptions);
        var audited = await client.GetFromJsonAsync<List<AuditEntry>>("/api/audit?actor=bob&action=AddMembers", PortalFactory.JsonOptions);

        Assert.Equal(OperationState.Interrupted, record!.State);
        Assert.Equal("start server.4", record.CurrentStep?.Name);
        Assert.Equal([StepState.Succeeded, StepState.Interrupted, StepState.Pending], record.Steps.Select(s => s.State));
        Assert.Contains("at step 'start server.4'", record.Error, StringComparison.Ordinal);
        Assert.Equal("Interrupted", Assert.Single(audited!).Result);
        Assert.Empty(await portal.Services.GetRequiredService<IOperationJournal>().ListUnfinishedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Restart_AfterExpansionToFive_FiveVotersAndOneLeader()
    {
        await using (var first = new PortalFactory(NoSettings, DataDirectory))
        {
            var (snapshot, demo) = await StartSettledAsync(first);
            var start = await first.Services.GetRequiredService<OperationCoordinator>().StartAsync(demo, AddMembersOperation.Expand(snapshot), new OperationRequest("alice", "tolerate two failures"), CancellationToken.None);
            var done = await start.Completion.WaitAsync(Deadline);
            output.WriteLine($"{done.Title}: {done.State} {done.Outcome}{done.Error}");
            Assert.Equal(OperationState.Succeeded, done.State);
        }

        await using var second = new PortalFactory(NoSettings, DataDirectory);
        using var client = second.CreateClient();
        var ensembles = await second.WaitForEnsemblesAsync(client, e => IsSettled(Demo(e)) && Demo(e)!.Members.Count(m => m.State is PeerState.Leading or PeerState.Following) == 5, Deadline);

        var demoAfter = Demo(ensembles)!;
        Assert.Equal([1, 2, 3, 4, 5], demoAfter.Members.Select(m => m.ServerId).Order());
        Assert.All(demoAfter.Members, m => Assert.Equal(MemberRole.Participant, m.Role));
        Assert.Single(demoAfter.Members, m => m.State == PeerState.Leading);
        var stored = await second.Services.GetRequiredService<IEnsembleCatalog>().GetAsync("demo", CancellationToken.None);
        Assert.Equal([1, 2, 3, 4, 5], stored!.Members.Select(m => m.ServerId));
        Assert.True(second.Services.GetRequiredService<EnsembleRegistry>().TryGet("demo", out var registered));
        Assert.Equal(5, registered.Backend.Configuration.Count(m => m.IsVoter));
    }

    [Fact]
    public async Task Restart_AfterApplySettings_NewSettingsKeptAsVersionTwoWithWhoAndWhy()
    {
        var changed = EnsembleSettings.Fast with { SnapCount = 5000, MaxClientCnxns = 100 };
        await using (var first = new PortalFactory(NoSettings, DataDirectory))
        {
            var (_, demo) = await StartSettledAsync(first);
            var start = await first.Services.GetRequiredService<OperationCoordinator>().StartAsync(demo, new ApplySettingsOperation(changed, "v2"), new OperationRequest("carol", "bigger snapshots"), CancellationToken.None);
            var done = await start.Completion.WaitAsync(Deadline);
            output.WriteLine($"{done.Title}: {done.State} {done.Outcome}{done.Error}");
            Assert.Equal(OperationState.Succeeded, done.State);
        }

        await using var second = new PortalFactory(NoSettings, DataDirectory);
        using var client = second.CreateClient();
        await second.WaitForEnsemblesAsync(client, e => IsSettled(Demo(e)), Deadline);
        var versions = (await client.GetFromJsonAsync<List<SettingsVersion>>("/api/ensembles/demo/settings/versions", PortalFactory.JsonOptions))!;

        Assert.True(second.Services.GetRequiredService<EnsembleRegistry>().TryGet("demo", out var restarted));
        Assert.Equal(changed, restarted.Backend.Settings);
        Assert.Equal([2, 1], versions.Select(v => v.Version));
        Assert.Equal(("carol", "bigger snapshots", changed), (versions[0].ChangedBy, versions[0].Reason, versions[0].Settings));
        Assert.NotNull(versions[0].OperationId);
        Assert.Equal(("system", EnsembleSettings.Fast), (versions[1].ChangedBy, versions[1].Settings));
    }

    private async Task<(EnsembleSnapshot Snapshot, IEnsembleBackend Backend)> StartSettledAsync(PortalFactory factory)
    {
        using var client = factory.CreateClient();
        await factory.WaitForEnsemblesAsync(client, e => IsSettled(Demo(e)), Deadline);
        Assert.True(factory.Services.GetRequiredService<EnsembleRegistry>().TryGet("demo", out var demo));
        var snapshot = await demo.Backend.WaitForAsync(s => s.HasQuorum && s.ServingVoters == s.VoterCount, Deadline);
        if (demo.Backend is Engine.Embedded.EmbeddedEnsemble embedded)
        {
            output.WriteLine($"demo seed {embedded.Seed}");
        }

        return (snapshot, demo.Backend);
    }

    /// <summary>A quick first step, then a step that waits until the portal stops (its cancellation), then one that never runs.</summary>
    private sealed class TwoStepOperation : EnsembleOperation
    {
        public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override OperationKind Kind => OperationKind.Failover;

        public override string Title => "Wait for the restart";

        public override IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string> { ["mode"] = "test" };

        public override Task<PreflightReport> PreflightAsync(OperationTarget target, CancellationToken cancellationToken) =>
            Task.FromResult(new PreflightReport([], ["prepare", "wait", "finish"]));

        protected override async Task<string> ExecuteAsync(OperationContext context)
        {
            await context.StepAsync("prepare", _ => Task.FromResult<string?>("ready"));
            await context.StepAsync("wait", async ct =>
            {
                Waiting.SetResult();
                await new TaskCompletionSource().Task.WaitAsync(ct);
                return null;
            });
            await context.StepAsync("finish", _ => Task.FromResult<string?>(null));
            return "never";
        }
    }
}
