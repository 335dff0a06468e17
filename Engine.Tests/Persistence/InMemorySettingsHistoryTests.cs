using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Persistence;

namespace QuorumPortal.Engine.Tests.Persistence;

public sealed class InMemorySettingsHistoryTests
{
    private readonly InMemorySettingsHistory _history = new();

    [Fact]
    public async Task AppendAsync_PerEnsemble_NumberedFromOneNewestFirst()
    {
        var operation = Guid.NewGuid();
        await _history.AppendAsync(new SettingsChange("a", new EnsembleSettings(), "system", "created"), CancellationToken.None);
        await _history.AppendAsync(new SettingsChange("b", new EnsembleSettings(), "system"), CancellationToken.None);
        var second = await _history.AppendAsync(new SettingsChange("a", EnsembleSettings.Fast, "alice", "faster", operation), CancellationToken.None);

        var versions = await _history.ListAsync("a", CancellationToken.None);

        Assert.Equal([2, 1], versions.Select(v => v.Version));
        Assert.Equal(("v2", "alice", "faster", operation), (second.Label, second.ChangedBy, second.Reason, second.OperationId!.Value));
        Assert.Equal(second, await _history.GetAsync("a", 2, CancellationToken.None));
        Assert.Null(await _history.GetAsync("a", 0, CancellationToken.None));
        Assert.Empty(await _history.ListAsync("nope", CancellationToken.None));
    }

    [Fact]
    public async Task RollbackToAsync_VersionOne_OperationBringsItsSettingsBack()
    {
        await _history.AppendAsync(new SettingsChange("a", EnsembleSettings.Fast, "system"), CancellationToken.None);
        await _history.AppendAsync(new SettingsChange("a", EnsembleSettings.Fast with { TickTime = 500 }, "alice"), CancellationToken.None);

        var rollback = await _history.RollbackToAsync("a", 1, CancellationToken.None);

        Assert.Equal("200", rollback.Parameters["tickTime"]);
        Assert.Contains("v1", rollback.Title, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<KeyNotFoundException>(() => _history.RollbackToAsync("a", 3, CancellationToken.None));
        Assert.Contains("v3", missing.Message, StringComparison.Ordinal);
    }
}
