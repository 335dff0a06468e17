using Microsoft.Extensions.DependencyInjection;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Engine.Tests.Testing;
using QuorumPortal.Portal.Hosting;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Hosting;

/// <summary>The new-ensemble wizard's checks and creation, in the real portal with its SQLite catalog.</summary>
public sealed class NewEnsembleTests : IAsyncLifetime
{
    private readonly PortalFactory _factory = new();
    private NewEnsemble _creator = null!;

    public Task InitializeAsync()
    {
        _ = _factory.Server;
        _creator = _factory.Services.GetRequiredService<NewEnsemble>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Theory]
    [InlineData("demo", "an ensemble named demo already exists")]
    [InlineData("new", "'new' is the address of this wizard")]
    [InlineData("bad name", "name: must be 1–64 letters")]
    [InlineData("", "name: is required")]
    public async Task Check_BadName_RefusedSayingWhy(string name, string expected)
    {
        var report = await _creator.CheckAsync(new NewEnsembleRequest { Name = name }, CancellationToken.None);

        Assert.False(report.CanProceed);
        Assert.Contains(expected, report.ErrorSummary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, CheckSeverity.Error, "1 to 7 participants")]
    [InlineData(8, CheckSeverity.Error, "1 to 7 participants")]
    [InlineData(1, CheckSeverity.Warning, "one participant tolerates no failure")]
    [InlineData(4, CheckSeverity.Warning, "4 participants tolerate 1 failure, no more than 3 would; 5 would tolerate 2")]
    [InlineData(5, CheckSeverity.Info, "5 participants: majority 3, 2 failures tolerated")]
    public async Task Check_Size_SaysWhatItTolerates(int size, CheckSeverity severity, string expected)
    {
        var report = await _creator.CheckAsync(new NewEnsembleRequest { Name = "sized", Size = size }, CancellationToken.None);

        Assert.Contains(report.Checks, c => c.Severity == severity && c.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_AttachWithBadConnectionString_NamesThePart()
    {
        var report = await _creator.CheckAsync(
            new NewEnsembleRequest { Name = "far", Backend = BackendKind.AttachedZooKeeper, ConnectionString = "zk1:2181,zk2,zk3:99999" },
            CancellationToken.None);

        Assert.Contains("'zk2' is not host:port", report.ErrorSummary, StringComparison.Ordinal);
        Assert.Contains("'zk3:99999' is not host:port", report.ErrorSummary, StringComparison.Ordinal);
    }

    [ZooKeeperFact]
    public async Task Check_LocalZooKeeper_InstallationFound()
    {
        var report = await _creator.CheckAsync(new NewEnsembleRequest { Name = "zk", Backend = BackendKind.LocalZooKeeper }, CancellationToken.None);

        Assert.True(report.CanProceed, report.ErrorSummary);
        Assert.Contains(report.Checks, c => c.Name == "zookeeper" && c.Message.Contains("zookeeper.jar", StringComparison.Ordinal));
    }

    [ZooKeeperFact]
    public async Task Create_LocalZooKeeperOfThree_LeaderElectedAndStoredWithItsPorts()
    {
        var created = await _creator.CreateAsync(new NewEnsembleRequest { Name = "zk", Backend = BackendKind.LocalZooKeeper, Size = 3 }, "alice", null, CancellationToken.None);

        var snapshot = await created.Backend.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, TimeSpan.FromSeconds(60));
        Assert.Equal(BackendKind.LocalZooKeeper, snapshot.Backend);
        var stored = await _factory.Services.GetRequiredService<IEnsembleCatalog>().GetAsync("zk", CancellationToken.None);
        Assert.NotNull(stored);
        Assert.All(stored.Members, m => Assert.NotEqual(0, m.ClientPort));
    }

    [Fact]
    public async Task Create_EmbeddedOfOne_RunningStoredAndRefusedASecondTime()
    {
        var created = await _creator.CreateAsync(new NewEnsembleRequest { Name = "solo", Size = 1 }, "alice", "a scratch ensemble", CancellationToken.None);

        var snapshot = await created.Backend.WaitForAsync(s => s.HasQuorum, TimeSpan.FromSeconds(30));
        Assert.Equal(1, snapshot.VoterCount);
        Assert.NotNull(await _factory.Services.GetRequiredService<IEnsembleCatalog>().GetAsync("solo", CancellationToken.None));
        Assert.True(_factory.Services.GetRequiredService<EnsembleRegistry>().TryGet("solo", out _));
        var again = await Assert.ThrowsAsync<InvalidOperationException>(() => _creator.CreateAsync(new NewEnsembleRequest { Name = "solo" }, "bob", null, CancellationToken.None));
        Assert.Contains("already exists", again.Message, StringComparison.Ordinal);
    }
}
