using Microsoft.Extensions.Options;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Configuration;
using QuorumPortal.Portal.Data;

namespace QuorumPortal.Portal.Hosting;

/// <summary>
/// Starts the portal's ensembles with the host and stops them with it. At startup every ensemble in the catalog is
/// brought back from its stored members and directory (one that cannot come back is listed in
/// <see cref="EnsembleRestoreFailures"/>); the embedded demo is created and stored on first run. At
/// shutdown the operation coordinator goes first, so a running operation ends interrupted and is saved while its
/// ensemble still runs; then every monitor, then every member, gracefully.
/// </summary>
public sealed partial class EnsembleHostedService(
    EnsembleRegistry registry,
    OperationCoordinator coordinator,
    IEnsembleCatalog catalog,
    EnsembleLauncher launcher,
    EnsembleRestoreFailures failures,
    AuditLog audit,
    IOptions<PortalOptions> options,
    ILogger<EnsembleHostedService> logger) : IHostedService
{
    public const string DemoName = "demo";

    /// <summary>The audit log's action for an ensemble from the catalog that could not be brought back at start.</summary>
    public const string RestoreAction = "RestoreEnsemble";

    /// <summary>The demo: three participants with a 200 ms tick, so a killed leader is replaced in well under a second.</summary>
    public static EnsembleSpec DemoSpec { get; } = EnsembleSpec.OfSize(DemoName, 3, EnsembleSettings.Fast);

    /// <summary>The demo's directory, relative to the data directory (stored so, so the data directory can move).</summary>
    public static string DemoDirectory { get; } = Path.Combine("ensembles", DemoName);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var demoEnabled = options.Value.DemoEnsemble;
        var stored = await catalog.ListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var ensemble in stored)
        {
            if (ensemble.Name == DemoName && !demoEnabled)
            {
                LogDemoDisabled(logger, DemoName);
                continue;
            }

            try
            {
                await launcher.LaunchAsync(ensemble, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One ensemble that cannot come back (ZooKeeper uninstalled, a port taken) must not keep the others down.
                // The catalog keeps it, so the next start tries again; the overview lists it (with the error) for the
                // operator to try again or forget, and the audit log keeps why.
                LogLaunchFailed(logger, e, ensemble.Name, ensemble.Backend);
                failures.Record(ensemble, e.Message);
                await audit.RecordAsync("system", ensemble.Name, RestoreAction, EnsembleRestoreActions.AuditParameters(ensemble),
                    "Failed", duration: null, e.Message, "portal start", cancellationToken).ConfigureAwait(false);
            }
        }

        if (demoEnabled && stored.All(e => e.Name != DemoName))
        {
            var existed = Directory.Exists(Path.Combine(launcher.DataRoot, DemoDirectory));
            await launcher.CreateAsync(StoredEnsemble.For(DemoSpec, DemoDirectory), "system", "the demo ensemble, created on first run", cancellationToken).ConfigureAwait(false);
            LogDemoCreated(logger, DemoName, DemoSpec.Members.Count, existed ? "its directory existed and was recovered" : "new directory");
        }
    }

    private readonly Once _stop = new();

    public Task StopAsync(CancellationToken cancellationToken) => _stop.RunAsync(async () =>
    {
        await coordinator.DisposeAsync().ConfigureAwait(false);
        await registry.StopAsync(cancellationToken).ConfigureAwait(false);
        LogStopped(logger);
    });

    [LoggerMessage(1, LogLevel.Information, "Ensemble {Ensemble} ({Members} embedded members) created and stored in the catalog ({How})")]
    private static partial void LogDemoCreated(ILogger logger, string ensemble, int members, string how);

    [LoggerMessage(2, LogLevel.Information, "Every ensemble stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(3, LogLevel.Error, "Ensemble {Ensemble} ({Backend}) could not be brought back from the catalog; the others start")]
    private static partial void LogLaunchFailed(ILogger logger, Exception exception, string ensemble, BackendKind backend);

    [LoggerMessage(4, LogLevel.Information, "Ensemble {Ensemble} is in the catalog but Portal:DemoEnsemble is false: not started")]
    private static partial void LogDemoDisabled(ILogger logger, string ensemble);
}
