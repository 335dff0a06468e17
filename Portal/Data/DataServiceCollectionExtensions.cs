using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Configuration;

namespace QuorumPortal.Portal.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// The database, the Engine's persistence ports over it, the <see cref="OperationCoordinator"/> with the SQLite
    /// journal, and the hosted services that migrate (first) and record operations and events. Call before the
    /// ensembles' hosted service is added: hosted services start in order and stop in reverse, so the database is
    /// ready before an ensemble starts and the recorders drain after the ensembles stop.
    /// </summary>
    public static IServiceCollection AddPortalData(this IServiceCollection services)
    {
        services.AddDbContextFactory<PortalDbContext>((sp, db) =>
        {
            var portal = sp.GetRequiredService<IOptions<PortalOptions>>().Value;
            var directory = portal.ResolveDataDirectory(sp.GetRequiredService<IHostEnvironment>().ContentRootPath);
            db.UseSqlite(PortalDbContext.ConnectionStringFor(directory));
        });
        services.AddSingleton<IOperationJournal, SqliteOperationJournal>();
        services.AddSingleton<IEnsembleCatalog, SqliteEnsembleCatalog>();
        services.AddSingleton<ISettingsHistory, SqliteSettingsHistory>();
        services.AddSingleton<IEventHistory, SqliteEventHistory>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton(sp => new OperationCoordinator(
            sp.GetRequiredService<IOperationJournal>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<OperationCoordinator>>(),
            sp.GetRequiredService<EnsembleEventStreams>()));

        services.AddHostedService<PortalDatabaseMigrator>();
        services.AddSingleton<OperationRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<OperationRecorder>());
        services.AddHostedService<EventHistoryRecorder>();
        return services;
    }
}
