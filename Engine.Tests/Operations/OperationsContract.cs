using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Operations;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Operations;

/// <summary>
/// The operations an operator starts from the portal, run through the coordinator the portal uses, on every
/// backend the same way: one abstract suite, one subclass per backend.
/// </summary>
public abstract class OperationsContract(ITestOutputHelper output)
{
    protected static readonly EnsembleSettings Fast = new() { TickTime = 200, InitLimit = 10, SyncLimit = 5 };

    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    protected ITestOutputHelper Output { get; } = output;

    /// <summary>A new, not yet started backend with <paramref name="size"/> participants (ids 1..size).</summary>
    protected abstract IEnsembleBackend Create(string name, int size, string dataDirectory);

    [Fact]
    public async Task Expand_ThreeMembers_FiveVotersOneLeaderAllSynced()
    {
        await using var scope = await Scope.StartAsync(this, 3);
        var snapshot = await scope.Backend.ProbeSnapshotAsync(TimeProvider.System, CancellationToken.None);

        var record = await scope.RunAsync(AddMembersOperation.Expand(snapshot));

        Assert.Equal(OperationState.Succeeded, record.State);
        Assert.Equal("Expand to 5", record.Title);
        Assert.All(record.Steps, s => Assert.Equal(StepState.Succeeded, s.State));
        Assert.Equal(10, record.Steps.Count);
        var five = await scope.WaitForAsync(s => s.VoterCount == 5 && s.ServingVoters == 5);
        Assert.Single(five.Statuses, s => s.State == PeerState.Leading);
        Assert.Equal([1, 2, 3, 4, 5], scope.Backend.Configuration.Select(m => m.ServerId).Order());
        Assert.Contains("5 voters", record.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_TheLeader_HandsOverAndStopsIt()
    {
        await using var scope = await Scope.StartAsync(this, 3);
        var before = await scope.WaitForAsync(s => s.ServingVoters == 3);
        var leader = before.LeaderId!.Value;

        var record = await scope.RunAsync(new RemoveMembersOperation([leader], deleteData: false));

        Assert.Equal(OperationState.Succeeded, record.State);
        var after = await scope.WaitForAsync(s => s.VoterCount == 2 && s.ServingVoters == 2);
        Assert.NotEqual(leader, after.LeaderId);
        Assert.DoesNotContain(scope.Backend.Members, m => m.ServerId == leader);
        Assert.Contains(record.Preflight, c => c.Name == "leader");
    }

    [Fact]
    public async Task Remove_WouldLeaveNoQuorumOfRunningVoters_RefusedAndNothingChanges()
    {
        await using var scope = await Scope.StartAsync(this, 3);
        var before = await scope.WaitForAsync(s => s.ServingVoters == 3);
        var follower = before.Statuses.First(s => s.State == PeerState.Following).ServerId;
        var other = before.Statuses.First(s => s.State == PeerState.Following && s.ServerId != follower).ServerId;
        await scope.Backend.StopMemberAsync(follower, StopMode.Kill, CancellationToken.None);
        await scope.WaitForAsync(s => s.ServingVoters == 2);

        var start = await scope.Coordinator.StartAsync(scope.Backend, new RemoveMembersOperation([other], deleteData: true), scope.Request, CancellationToken.None);

        Assert.Equal(OperationStartStatus.Refused, start.Status);
        Assert.Contains("would be running but 2 are needed", start.Message, StringComparison.Ordinal);
        Assert.Equal(3, scope.Backend.Configuration.Count);
        Assert.Equal(OperationState.Refused, (await scope.Coordinator.Journal.ListAsync(null, 10, CancellationToken.None)).Single().State);
    }

    [Fact]
    public async Task ApplySettings_RollingRestart_FollowersFirstLeaderLastAllBack()
    {
        await using var scope = await Scope.StartAsync(this, 3);
        var before = await scope.WaitForAsync(s => s.ServingVoters == 3);
        var leader = before.LeaderId!.Value;
        var changed = scope.Backend.Settings with { MaxClientCnxns = 77, SnapCount = 50_000 };

        var operation = new ApplySettingsOperation(changed, "v2");
        var record = await scope.RunAsync(operation);

        Assert.Equal(OperationState.Succeeded, record.State);
        Assert.Equal(["maxClientCnxns", "snapCount"], operation.Changes.Select(c => c.Name).Order());
        var restarts = record.Steps.Where(s => s.Name.StartsWith("restart ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, restarts.Count);
        Assert.Equal($"restart server.{leader}", restarts[^1].Name);
        Assert.True(restarts.Zip(restarts.Skip(1)).All(p => p.First.EndedAt <= p.Second.StartedAt), "restarts overlap");
        Assert.Equal(77, scope.Backend.Settings.MaxClientCnxns);
        await scope.WaitForAsync(s => s.ServingVoters == 3);
    }

    [Fact]
    public async Task ApplySettings_NothingChanges_Refused()
    {
        await using var scope = await Scope.StartAsync(this, 3);
        await scope.WaitForAsync(s => s.ServingVoters == 3);

        var start = await scope.Coordinator.StartAsync(scope.Backend, new ApplySettingsOperation(scope.Backend.Settings), scope.Request, CancellationToken.None);

        Assert.Equal(OperationStartStatus.Refused, start.Status);
        Assert.Contains("nothing to apply", start.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FailoverMode.KillLeader)]
    [InlineData(FailoverMode.RestartLeader)]
    [InlineData(FailoverMode.HandOff)]
    public async Task Failover_Mode_NewLeaderMeasuredOldLeaderBack(FailoverMode mode)
    {
        await using var scope = await Scope.StartAsync(this, 3);
        var before = await scope.WaitForAsync(s => s.ServingVoters == 3);
        var leader = before.LeaderId!.Value;

        var record = await scope.RunAsync(new FailoverOperation(mode, expectedLeader: leader));

        Assert.Equal(OperationState.Succeeded, record.State);
        Assert.True(record.Measurements["leaderlessMs"] > 0);
        var after = await scope.WaitForAsync(s => s.ServingVoters == 3 && s.VoterCount == 3);
        Assert.NotEqual(leader, after.LeaderId);
        Assert.Contains($"was server {leader}", record.Outcome, StringComparison.Ordinal);
        Output.WriteLine($"{mode}: {record.Outcome}");
    }

    [Fact]
    public async Task Failover_ConfirmedLeaderIsNotTheLeader_Refused()
    {
        await using var scope = await Scope.StartAsync(this, 3);
        var before = await scope.WaitForAsync(s => s.ServingVoters == 3);
        var follower = before.Statuses.First(s => s.State == PeerState.Following).ServerId;

        var start = await scope.Coordinator.StartAsync(scope.Backend, new FailoverOperation(FailoverMode.KillLeader, expectedLeader: follower), scope.Request, CancellationToken.None);

        Assert.Equal(OperationStartStatus.Refused, start.Status);
        Assert.Contains($"server.{before.LeaderId} leads now", start.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await scope.WaitForAsync(s => s.ServingVoters == 3)).ServingVoters);
    }

    /// <summary>A started backend with a coordinator over an in-memory journal; stopped and deleted afterwards.</summary>
    protected sealed class Scope : IAsyncDisposable
    {
        private readonly string _directory;

        private Scope(IEnsembleBackend backend, string directory)
        {
            Backend = backend;
            _directory = directory;
            Coordinator = new OperationCoordinator(new InMemoryOperationJournal(), TimeProvider.System, NullLogger<OperationCoordinator>.Instance);
        }

        public IEnsembleBackend Backend { get; }

        public OperationCoordinator Coordinator { get; }

        public OperationRequest Request { get; } = new("test", "contract");

        public static async Task<Scope> StartAsync(OperationsContract contract, int size)
        {
            var directory = Path.Combine(Path.GetTempPath(), "qp-ops-" + Guid.NewGuid().ToString("N"));
            var scope = new Scope(contract.Create("ops", size, directory), directory);
            await scope.Backend.StartAsync(CancellationToken.None);
            await scope.WaitForAsync(s => s.ServingVoters == size);
            return scope;
        }

        /// <summary>Starts <paramref name="operation"/> (it must pass preflight) and waits for its end.</summary>
        public async Task<OperationRecord> RunAsync(EnsembleOperation operation)
        {
            var start = await Coordinator.StartAsync(Backend, operation, Request, CancellationToken.None);
            Assert.True(start.Started, $"refused: {start.Message}");
            var record = await start.Completion.WaitAsync(Bound);
            if (record.State != OperationState.Succeeded)
            {
                Assert.Fail($"{record.Title} ended {record.State}: {record.Error}\n" + string.Join("\n", record.Steps.Select(s => $"  {s.Name}: {s.State} {s.Detail}")));
            }

            return record;
        }

        public Task<EnsembleSnapshot> WaitForAsync(Func<EnsembleSnapshot, bool> condition) =>
            Backend.WaitForAsync(s => s.HasQuorum && condition(s), TimeSpan.FromSeconds(60));

        public async ValueTask DisposeAsync()
        {
            await Coordinator.DisposeAsync();
            await Backend.DisposeAsync();
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
    }
}
