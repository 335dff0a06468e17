using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Portal.Configuration;

namespace QuorumPortal.Portal.Data;

/// <summary>
/// Runs first at startup, before any ensemble starts: creates the data directory, applies the migrations to
/// <c>{DataDirectory}/portal.db</c>, then reports every operation a previous run left running as interrupted
/// (journal and audit log), at the step it reached.
/// </summary>
public sealed partial class PortalDatabaseMigrator(
    IDbContextFactory<PortalDbContext> contexts,
    OperationCoordinator coordinator,
    AuditLog audit,
    IOptions<PortalOptions> options,
    IHostEnvironment environment,
    ILogger<PortalDatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var directory = options.Value.ResolveDataDirectory(environment.ContentRootPath);
        Directory.CreateDirectory(directory);
        var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();
            await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);

            // Readers (pages, the API) do not wait for the writers (journal, events) and the other way round.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
            LogMigrated(logger, Path.Combine(directory, PortalDbContext.FileName), pending.Count, pending.Count == 0 ? "up to date" : string.Join(", ", pending));
        }

        foreach (var interrupted in await coordinator.RecoverInterruptedAsync(cancellationToken).ConfigureAwait(false))
        {
            await audit.RecordOperationAsync(interrupted, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(1, LogLevel.Information, "Database {Path}: {Count} migrations applied ({Migrations})")]
    private static partial void LogMigrated(ILogger logger, string path, int count, string migrations);
}
