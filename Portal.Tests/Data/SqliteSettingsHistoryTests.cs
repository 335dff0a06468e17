using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Data;

public sealed class SqliteSettingsHistoryTests : DatabaseTest
{
    private SqliteSettingsHistory History => new(Database, TimeProvider.System);

    [Fact]
    public async Task AppendAsync_ThreeVersions_NumberedFromOneListedNewestFirstWithWhoWhyAndOperation()
    {
        var operation = Guid.NewGuid();
        await History.AppendAsync(new SettingsChange("demo", EnsembleSettings.Fast, "system", "created"), CancellationToken.None);
        await History.AppendAsync(new SettingsChange("demo", EnsembleSettings.Fast with { TickTime = 100 }, "alice", "faster failover", operation), CancellationToken.None);
        await History.AppendAsync(new SettingsChange("other", new EnsembleSettings(), "bob"), CancellationToken.None);
        var third = await History.AppendAsync(new SettingsChange("demo", EnsembleSettings.Fast, "bob", "v1 again"), CancellationToken.None);

        var versions = await History.ListAsync("demo", CancellationToken.None);

        Assert.Equal(3, third.Version);
        Assert.Equal([3, 2, 1], versions.Select(v => v.Version));
        Assert.Equal(("alice", "faster failover", operation, 100), (versions[1].ChangedBy, versions[1].Reason, versions[1].OperationId, versions[1].Settings.TickTime));
        Assert.Equal(EnsembleSettings.Fast, versions[0].Settings);
        Assert.Equal(1, (await History.ListAsync("other", CancellationToken.None)).Single().Version);
        Assert.Equal(versions[1], await History.GetAsync("demo", 2, CancellationToken.None));
        Assert.Null(await History.GetAsync("demo", 4, CancellationToken.None));
    }

    [Fact]
    public async Task AppendAsync_TenAtOnce_EveryNumberOnce()
    {
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            History.AppendAsync(new SettingsChange("demo", EnsembleSettings.Fast with { SnapCount = 1000 + i }, "load"), CancellationToken.None)));

        var versions = await History.ListAsync("demo", CancellationToken.None);

        Assert.Equal(Enumerable.Range(1, 10).Reverse(), versions.Select(v => v.Version));
        Assert.Equal(10, versions.Select(v => v.Settings.SnapCount).Distinct().Count());
    }

    [Fact]
    public async Task AppendAsync_InvalidSettings_RefusedNothingStored()
    {
        await Assert.ThrowsAsync<ValidationException>(() =>
            History.AppendAsync(new SettingsChange("demo", new EnsembleSettings { TickTime = 1 }, "alice"), CancellationToken.None));

        Assert.Empty(await History.ListAsync("demo", CancellationToken.None));
    }

    [Fact]
    public async Task RollbackToAsync_OlderVersion_OperationAppliesItsSettings()
    {
        await History.AppendAsync(new SettingsChange("demo", EnsembleSettings.Fast, "system"), CancellationToken.None);
        await History.AppendAsync(new SettingsChange("demo", EnsembleSettings.Fast with { SyncLimit = 2 }, "alice"), CancellationToken.None);

        var rollback = await History.RollbackToAsync("demo", 1, CancellationToken.None);

        Assert.Equal("Apply settings v1 again (rollback)", rollback.Title);
        Assert.Equal("5", rollback.Parameters["syncLimit"]);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => History.RollbackToAsync("demo", 9, CancellationToken.None));
    }
}
