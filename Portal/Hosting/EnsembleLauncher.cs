using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Engine.ZooKeeper;
using QuorumPortal.Portal.Configuration;
using QuorumPortal.Portal.Data;

namespace QuorumPortal.Portal.Hosting;

/// <summary>
/// Turns a catalog entry into a running ensemble: builds its backend over its stored members, settings and data
/// directory (or connection string) and hands it to the <see cref="EnsembleRegistry"/>, which starts it. An embedded
/// ensemble recovers its members from their directories; a local ZooKeeper one re-adopts members whose processes
/// still run and starts the others; an attached one connects again.
/// </summary>
public sealed partial class EnsembleLauncher(
    EnsembleRegistry registry,
    IEnsembleCatalog catalog,
    ISettingsHistory settingsHistory,
    AuditLog audit,
    IConfiguration configuration,
    IOptions<PortalOptions> options,
    IHostEnvironment environment,
    TimeProvider timeProvider,
    ILogger<EnsembleLauncher> logger)
{
    /// <summary>Where credentials an attached ensemble names are configured: <c>Portal:Credentials:{name}:User</c> and <c>:Password</c>.</summary>
    public const string CredentialsSection = "Portal:Credentials";

    /// <summary>The portal's data directory, against which stored relative directories resolve.</summary>
    public string DataRoot => options.Value.ResolveDataDirectory(environment.ContentRootPath);

    /// <summary>
    /// Stores a new ensemble, starts it, and records its settings as v1 and the outcome in the audit log. If it does
    /// not start, it is removed from the catalog again and the exception propagates.
    /// </summary>
    public async Task<RegisteredEnsemble> CreateAsync(StoredEnsemble ensemble, string createdBy, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        var clock = Stopwatch.StartNew();
        var stored = await catalog.AddAsync(ensemble, cancellationToken).ConfigureAwait(false);
        var parameters = new Dictionary<string, string>
        {
            ["backend"] = stored.Backend.ToString(),
            ["members"] = string.Join(" ", stored.Members.Select(m => m.ToConfigLine())),
            ["location"] = stored.DataDirectory ?? stored.ConnectionString ?? string.Empty,
        };
        RegisteredEnsemble registered;
        try
        {
            registered = await LaunchAsync(stored, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await catalog.RemoveAsync(stored.Name, CancellationToken.None).ConfigureAwait(false);
            await audit.RecordAsync(createdBy, stored.Name, "CreateEnsemble", parameters, "Failed", clock.Elapsed, e.Message, reason, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        // Ports given as 0 were allocated by the backend: store the members as they run.
        if (stored.Backend != BackendKind.AttachedZooKeeper && !registered.Backend.Configuration.SequenceEqual(stored.Members))
        {
            await catalog.UpdateMembersAsync(stored.Name, registered.Backend.Configuration, cancellationToken).ConfigureAwait(false);
        }

        await settingsHistory.AppendAsync(new SettingsChange(stored.Name, stored.Settings, createdBy, reason ?? "created"), cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(createdBy, stored.Name, "CreateEnsemble", parameters, "Succeeded", clock.Elapsed,
            $"{stored.Members.Count} members", reason, cancellationToken).ConfigureAwait(false);
        return registered;
    }

    /// <summary>Builds the backend of a stored ensemble and registers it (the registry starts it and its monitor).</summary>
    public async Task<RegisteredEnsemble> LaunchAsync(StoredEnsemble stored, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var backend = await OpenBackendAsync(stored, cancellationToken).ConfigureAwait(false);
        try
        {
            var registered = await registry.AddAsync(backend, cancellationToken).ConfigureAwait(false);
            LogLaunched(logger, stored.Name, stored.Backend, stored.Members.Count, stored.DataDirectory ?? stored.ConnectionString ?? "");
            return registered;
        }
        catch (InvalidOperationException e) when (e is ObjectDisposedException || registry.TryGet(stored.Name, out var other) && other.Backend != backend)
        {
            // Refused (the name is taken, or the registry has stopped): the registry did not take the backend, so it is ours to dispose.
            await backend.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The backend for a stored ensemble, not started.</summary>
    public IEnsembleBackend CreateBackend(StoredEnsemble stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        stored.EnsureValid();
        return stored.Backend switch
        {
            BackendKind.Embedded => new EmbeddedEnsemble(stored.Spec, DirectoryOf(stored), new EmbeddedOptions(), timeProvider),

            // A new local ensemble; one whose members' directories exist is reopened by OpenBackendAsync.
            BackendKind.LocalZooKeeper => new LocalZooKeeperEnsemble(stored.Spec, DirectoryOf(stored), time: timeProvider),
            BackendKind.AttachedZooKeeper => new AttachedZooKeeperEnsemble(stored.Name, stored.ConnectionString!, Credentials(stored), timeProvider),
            _ => throw new NotSupportedException($"{stored.Name}: backend {stored.Backend} is not known to this portal"),
        };
    }

    /// <summary>
    /// The backend of a stored ensemble to launch. A local ZooKeeper ensemble whose member directories exist is
    /// reopened from the members' own files (they know joiners and reconfigs the catalog may have missed), its live
    /// processes adopted and the dead ones started; anything else is built from the catalog.
    /// </summary>
    private async Task<IEnsembleBackend> OpenBackendAsync(StoredEnsemble stored, CancellationToken cancellationToken)
    {
        if (stored.Backend == BackendKind.LocalZooKeeper)
        {
            stored.EnsureValid();
            var directory = DirectoryOf(stored);
            if (Directory.Exists(directory) && Directory.EnumerateFiles(directory, "zoo.cfg", SearchOption.AllDirectories).Any())
            {
                return await LocalZooKeeperEnsemble.OpenExistingAsync(stored.Name, directory, time: timeProvider, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        return CreateBackend(stored);
    }

    private string DirectoryOf(StoredEnsemble stored) => Path.GetFullPath(stored.DataDirectory!, DataRoot);

    /// <summary>Where a stored ensemble lives: its data directory as a full path, or an attached one's connection string.</summary>
    public string LocationOf(StoredEnsemble stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return stored.DataDirectory is not null ? DirectoryOf(stored) : stored.ConnectionString ?? "";
    }

    private DigestCredentials? Credentials(StoredEnsemble stored)
    {
        if (stored.CredentialsReference is not { } name)
        {
            return null;
        }

        var section = configuration.GetSection(CredentialsSection).GetSection(name);
        return section["User"] is { Length: > 0 } user && section["Password"] is { } password
            ? new DigestCredentials(user, password)
            : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{stored.Name} uses credentials '{name}', but {CredentialsSection}:{name}:User and :Password are not configured."));
    }

    [LoggerMessage(1, LogLevel.Information, "Ensemble {Ensemble} ({Backend}, {Members} members) started from the catalog ({Location})")]
    private static partial void LogLaunched(ILogger logger, string ensemble, BackendKind backend, int members, string location);
}
