using Microsoft.Extensions.Options;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Portal.Configuration;

namespace QuorumPortal.Portal.Hosting;

/// <summary>
/// Starts the portal's ensembles with the host and stops them with it: at startup the embedded demo ensemble
/// (created on first run, recovered from its data directory after that); at shutdown every monitor, then
/// every member, gracefully.
/// </summary>
public sealed partial class EnsembleHostedService(
    EnsembleRegistry registry,
    OperationCoordinator operations,
    IOptions<PortalOptions> options,
    IHostEnvironment environment,
    TimeProvider timeProvider,
    ILogger<EnsembleHostedService> logger) : IHostedService
{
    public const string DemoName = "demo";

    /// <summary>The demo: three participants with a 200 ms tick, so a killed leader is replaced in well under a second.</summary>
    public static EnsembleSpec DemoSpec { get; } = EnsembleSpec.OfSize(DemoName, 3, EnsembleSettings.Fast);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var portal = options.Value;
        if (!portal.DemoEnsemble)
        {
            return;
        }

        var directory = Path.Combine(portal.ResolveDataDirectory(environment.ContentRootPath), "ensembles", DemoName);
        var firstRun = !Directory.Exists(directory);
        Directory.CreateDirectory(directory);
        var demo = new EmbeddedEnsemble(DemoSpec, directory, new EmbeddedOptions(), timeProvider);
        await registry.AddAsync(demo, cancellationToken).ConfigureAwait(false);
        LogDemoStarted(logger, DemoName, DemoSpec.Members.Count, directory, firstRun ? "created" : "recovered from disk");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Operations first: a running one ends interrupted (and is journaled) before its members stop under it.
        await operations.DisposeAsync().ConfigureAwait(false);
        await registry.StopAsync(cancellationToken).ConfigureAwait(false);
        LogStopped(logger);
    }

    [LoggerMessage(1, LogLevel.Information, "Ensemble {Ensemble} ({Members} embedded members) started, data in {Directory} ({How})")]
    private static partial void LogDemoStarted(ILogger logger, string ensemble, int members, string directory, string how);

    [LoggerMessage(2, LogLevel.Information, "Every ensemble stopped")]
    private static partial void LogStopped(ILogger logger);
}
