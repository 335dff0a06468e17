using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Persistence;

namespace QuorumPortal.Engine.Tests.Persistence;

public sealed class InMemoryEnsembleCatalogTests
{
    private readonly InMemoryEnsembleCatalog _catalog = new();

    [Fact]
    public async Task AddAsync_TwoEnsembles_ListedByNameWithTimes()
    {
        await _catalog.AddAsync(StoredEnsemble.For(EnsembleSpec.OfSize("zeta", 1), "z"), CancellationToken.None);
        var alpha = await _catalog.AddAsync(StoredEnsemble.For(EnsembleSpec.OfSize("alpha", 3, EnsembleSettings.Fast), "a"), CancellationToken.None);

        var listed = await _catalog.ListAsync(CancellationToken.None);

        Assert.Equal(["alpha", "zeta"], listed.Select(e => e.Name));
        Assert.NotEqual(default, alpha.CreatedAt);
        Assert.Equal(alpha.CreatedAt, alpha.UpdatedAt);
        Assert.Equal(EnsembleSettings.Fast, listed[0].Settings);
    }

    [Fact]
    public async Task AddAsync_NameTakenOrAttachedWithoutConnectionString_RefusedCatalogUnchanged()
    {
        await _catalog.AddAsync(StoredEnsemble.For(EnsembleSpec.OfSize("demo", 3), "a"), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _catalog.AddAsync(StoredEnsemble.For(EnsembleSpec.OfSize("demo", 1), "b"), CancellationToken.None));
        var attached = await Assert.ThrowsAsync<ValidationException>(() =>
            _catalog.AddAsync(new StoredEnsemble { Name = "prod", Backend = BackendKind.AttachedZooKeeper, Members = [] }, CancellationToken.None));

        Assert.Equal("connectionString", Assert.Single(attached.Errors).Field);
        Assert.Equal(3, Assert.Single(await _catalog.ListAsync(CancellationToken.None)).Members.Count);
    }

    [Fact]
    public async Task UpdateAsync_MembersThenSettings_BothKeptUnknownNameThrows()
    {
        await _catalog.AddAsync(StoredEnsemble.For(EnsembleSpec.OfSize("demo", 3), "a"), CancellationToken.None);

        await _catalog.UpdateMembersAsync("demo", EnsembleSpec.OfSize("demo", 5).Members, CancellationToken.None);
        var updated = await _catalog.UpdateSettingsAsync("demo", EnsembleSettings.Fast, CancellationToken.None);

        Assert.Equal((5, EnsembleSettings.Fast), (updated.Members.Count, updated.Settings));
        Assert.Equal(updated, await _catalog.GetAsync("demo", CancellationToken.None));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _catalog.UpdateMembersAsync("nope", [], CancellationToken.None));
        Assert.True(await _catalog.RemoveAsync("demo", CancellationToken.None));
        Assert.Null(await _catalog.GetAsync("demo", CancellationToken.None));
    }
}
