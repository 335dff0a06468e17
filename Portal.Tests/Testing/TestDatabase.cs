using Microsoft.EntityFrameworkCore;
using QuorumPortal.Portal.Data;

namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>A migrated portal database in a temporary directory, deleted at dispose; no host around it.</summary>
public sealed class TestDatabase : IDbContextFactory<PortalDbContext>, IAsyncDisposable
{
    private readonly DbContextOptions<PortalDbContext> _options;
    private readonly bool _owned;

    private TestDatabase(string directory, bool owned = true)
    {
        Directory = directory;
        _owned = owned;

        // No pooling: nothing keeps the file open once a test is done with it.
        _options = new DbContextOptionsBuilder<PortalDbContext>().UseSqlite(PortalDbContext.ConnectionStringFor(directory) + ";Pooling=False").Options;
    }

    public string Directory { get; }

    /// <summary>Creates an empty directory and applies every migration.</summary>
    public static async Task<TestDatabase> CreateAsync()
    {
        var database = new TestDatabase(PortalFactory.NewDataDirectory());
        await database.MigrateAsync();
        return database;
    }

    /// <summary>A database over a portal's data directory, as it is; the directory is not deleted at dispose.</summary>
    public static TestDatabase Open(string directory) => new(directory, owned: false);

    /// <summary>Creates the directory if needed and applies every migration, as a portal's start does.</summary>
    public async Task MigrateAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        await using var db = CreateDbContext();
        await db.Database.MigrateAsync();
    }

    public PortalDbContext CreateDbContext() => new(_options);

    public ValueTask DisposeAsync()
    {
        if (_owned && System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
