using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Data;

public sealed class SqliteEnsembleCatalogTests : DatabaseTest
{
    private SqliteEnsembleCatalog Catalog => new(Database, TimeProvider.System);

    [Fact]
    public async Task AddAsync_LocalZooKeeperWithPortsAndObserver_ReadBackEqual()
    {
        var spec = new EnsembleSpec
        {
            Name = "zk",
            Backend = BackendKind.LocalZooKeeper,
            Settings = EnsembleSettings.Fast with { MaxSessionTimeout = 9000, FourLetterWordWhitelist = "*" },
            Members =
            [
                new MemberSpec { ServerId = 2, QuorumPort = 20002, ElectionPort = 30002, ClientPort = 40002 },
                new MemberSpec { ServerId = 1, QuorumPort = 20001, ElectionPort = 30001, ClientPort = 40001 },
                new MemberSpec { ServerId = 7, Role = MemberRole.Observer, Host = "127.0.0.2", QuorumPort = 20007, ElectionPort = 30007, ClientPort = 40007 },
            ],
        };

        var added = await Catalog.AddAsync(StoredEnsemble.For(spec, "ensembles/zk"), CancellationToken.None);
        var read = await Catalog.GetAsync("zk", CancellationToken.None);

        Assert.NotNull(read);
        Assert.Equal(spec.Members.OrderBy(m => m.ServerId), read.Members);
        Assert.Equal(spec.Settings, read.Settings);
        Assert.Equal(added with { Members = read.Members }, read);
        Assert.Equal(BackendKind.LocalZooKeeper, read.Backend);
        Assert.Equal("ensembles/zk", read.DataDirectory);
    }

    [Fact]
    public async Task AddAsync_Attached_KeepsConnectionStringAndCredentialsName()
    {
        var attached = new StoredEnsemble
        {
            Name = "prod",
            Backend = BackendKind.AttachedZooKeeper,
            Members = [],
            ConnectionString = "127.0.0.1:2181,127.0.0.1:2182",
            CredentialsReference = "prod-super",
        };

        await Catalog.AddAsync(attached, CancellationToken.None);
        var read = Assert.Single(await Catalog.ListAsync(CancellationToken.None));

        Assert.Equal(("127.0.0.1:2181,127.0.0.1:2182", "prod-super"), (read.ConnectionString, read.CredentialsReference));
        Assert.Empty(read.Members);
    }

    [Fact]
    public async Task AddAsync_NameTaken_RefusedAndFirstKept()
    {
        await Catalog.AddAsync(StoredEnsemble.For(EnsembleSpec.OfSize("demo", 3), "a"), CancellationToken.None);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Catalog.AddAsync(StoredEnsemble.For(EnsembleSpec.OfSize("demo", 5), "b"), CancellationToken.None));

        Assert.Contains("'demo' is already in the catalog", refused.Message, StringComparison.Ordinal);
        var kept = Assert.Single(await Catalog.ListAsync(CancellationToken.None));
        Assert.Equal(("a", 3), (kept.DataDirectory, kept.Members.Count));
    }

    [Fact]
    public async Task AddAsync_NoDataDirectoryAndBadName_RefusedNothingStored()
    {
        var invalid = new StoredEnsemble { Name = "no spaces allowed", Members = [new MemberSpec { ServerId = 1 }] };

        var refused = await Assert.ThrowsAsync<ValidationException>(() => Catalog.AddAsync(invalid, CancellationToken.None));

        Assert.Contains(refused.Errors, e => e.Field == "name");
        Assert.Contains(refused.Errors, e => e.Field == "dataDirectory");
        Assert.Empty(await Catalog.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task UpdateMembersAsync_ThreeToFive_ReplacedAndUpdatedAtMoves()
    {
        var added = await Catalog.AddAsync(StoredEnsemble.For(EnsembleSpec.OfSize("demo", 3), "d"), CancellationToken.None);

        var five = EnsembleSpec.OfSize("demo", 5).Members;
        var updated = await Catalog.UpdateMembersAsync("demo", five, CancellationToken.None);
        var read = await Catalog.GetAsync("demo", CancellationToken.None);

        Assert.Equal(five, read!.Members);
        Assert.Equal(updated.UpdatedAt, read.UpdatedAt);
        Assert.True(read.UpdatedAt >= added.UpdatedAt);
        Assert.Equal(added.CreatedAt, read.CreatedAt);
    }

    [Fact]
    public async Task UpdateMembersAsync_DuplicateIds_RefusedMembersUnchanged()
    {
        await Catalog.AddAsync(StoredEnsemble.For(EnsembleSpec.OfSize("demo", 3), "d"), CancellationToken.None);

        await Assert.ThrowsAsync<ValidationException>(() => Catalog.UpdateMembersAsync("demo", [new MemberSpec { ServerId = 1 }, new MemberSpec { ServerId = 1 }], CancellationToken.None));

        Assert.Equal([1, 2, 3], (await Catalog.GetAsync("demo", CancellationToken.None))!.Members.Select(m => m.ServerId));
    }

    [Fact]
    public async Task UpdateSettingsAsync_UnknownEnsemble_KeyNotFoundNamingIt()
    {
        var missing = await Assert.ThrowsAsync<KeyNotFoundException>(() => Catalog.UpdateSettingsAsync("nope", new EnsembleSettings(), CancellationToken.None));

        Assert.Contains("'nope'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoveAsync_Stored_GoneWithItsMembers()
    {
        await Catalog.AddAsync(StoredEnsemble.For(EnsembleSpec.OfSize("demo", 3), "d"), CancellationToken.None);

        Assert.True(await Catalog.RemoveAsync("demo", CancellationToken.None));
        Assert.False(await Catalog.RemoveAsync("demo", CancellationToken.None));

        await using var db = Database.CreateDbContext();
        Assert.Empty(db.EnsembleMembers);
        Assert.Null(await Catalog.GetAsync("demo", CancellationToken.None));
    }
}
