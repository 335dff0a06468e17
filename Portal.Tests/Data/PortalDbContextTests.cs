using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Data.Entities;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Data;

public sealed class PortalDbContextTests
{
    [Fact]
    public async Task Migrate_EmptyDirectory_EveryTableCreatedAndModelMatchesMigrations()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var db = database.CreateDbContext();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges(), "the model has changes no migration covers: add one with dotnet-ef");
        var tables = await db.Database.SqlQueryRaw<string>("SELECT name AS Value FROM sqlite_master WHERE type = 'table'").ToListAsync();
        Assert.Subset(tables.ToHashSet(), new HashSet<string>
        {
            "Ensembles", "EnsembleMembers", "SettingsVersions", "Operations", "OperationSteps", "AuditEntries", "Events", "DrillReports",
        });
        Assert.True(File.Exists(Path.Combine(database.Directory, PortalDbContext.FileName)));
    }

    [Fact]
    public async Task DateTimeOffset_DifferentOffsets_StoredAsUtcTicksAndOrderedByInstant()
    {
        await using var database = await TestDatabase.CreateAsync();
        var early = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.FromHours(5));   // 07:00 UTC
        var late = new DateTimeOffset(2025, 6, 1, 9, 0, 0, TimeSpan.Zero);              // 09:00 UTC, earlier wall clock text
        await using (var db = database.CreateDbContext())
        {
            db.DrillReports.AddRange(
                new DrillReportEntity { Id = Guid.NewGuid(), Ensemble = "e", Kind = "late", StartedAt = late, BodyJson = "{}" },
                new DrillReportEntity { Id = Guid.NewGuid(), Ensemble = "e", Kind = "early", StartedAt = early, BodyJson = "{}" });
            await db.SaveChangesAsync();
        }

        await using (var db = database.CreateDbContext())
        {
            var ordered = await db.DrillReports.OrderBy(d => d.StartedAt).Select(d => d.Kind).ToListAsync();
            var after8 = await db.DrillReports.Where(d => d.StartedAt > new DateTimeOffset(2025, 6, 1, 8, 0, 0, TimeSpan.Zero)).Select(d => d.Kind).ToListAsync();
            var stored = await db.DrillReports.SingleAsync(d => d.Kind == "early");

            Assert.Equal(["early", "late"], ordered);
            Assert.Equal(["late"], after8);
            Assert.Equal(early, stored.StartedAt);
            Assert.Equal(TimeSpan.Zero, stored.StartedAt.Offset);
        }

        await using var connection = new SqliteConnection(PortalDbContext.ConnectionStringFor(database.Directory) + ";Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT typeof(StartedAt), StartedAt FROM DrillReports WHERE Kind = 'early'";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("integer", reader.GetString(0));
        Assert.Equal(early.UtcTicks, reader.GetInt64(1));
    }
}
