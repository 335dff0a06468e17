using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data;

/// <summary>
/// The portal's SQLite database (<c>{DataDirectory}/portal.db</c>): the ensemble catalog, settings versions, the
/// operation journal, the audit log, the event history and drill reports. Migrations in <c>Data/Migrations</c>
/// are applied at startup by <see cref="PortalDatabaseMigrator"/>.
/// </summary>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options) : DbContext(options)
{
    public const string FileName = "portal.db";

    public DbSet<EnsembleEntity> Ensembles => Set<EnsembleEntity>();

    public DbSet<EnsembleMemberEntity> EnsembleMembers => Set<EnsembleMemberEntity>();

    public DbSet<SettingsVersionEntity> SettingsVersions => Set<SettingsVersionEntity>();

    public DbSet<OperationEntity> Operations => Set<OperationEntity>();

    public DbSet<OperationStepEntity> OperationSteps => Set<OperationStepEntity>();

    public DbSet<AuditEntryEntity> AuditEntries => Set<AuditEntryEntity>();

    public DbSet<EventEntity> Events => Set<EventEntity>();

    public DbSet<DrillReportEntity> DrillReports => Set<DrillReportEntity>();

    /// <summary>The connection string of the database in <paramref name="dataDirectory"/>.</summary>
    public static string ConnectionStringFor(string dataDirectory) =>
        new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDirectory, FileName) }.ToString();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);

        // SQLite has no DateTimeOffset: EF would store text it cannot order or compare. UTC ticks order correctly.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();

        // Enums by name, so the database reads without the code and survives reordered enum members.
        configurationBuilder.Properties<Enum>().HaveConversion<string>();
    }
}
