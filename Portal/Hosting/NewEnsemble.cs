using System.Globalization;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Engine.ZooKeeper.Local;

namespace QuorumPortal.Portal.Hosting;

/// <summary>What the new-ensemble wizard asks for.</summary>
public sealed record NewEnsembleRequest
{
    public string Name { get; init; } = "";

    public BackendKind Backend { get; init; } = BackendKind.Embedded;

    /// <summary>Participants, 1 to 7 (not used when attaching). Default 3.</summary>
    public int Size { get; init; } = 3;

    public EnsembleSettings Settings { get; init; } = EnsembleSettings.Fast;

    /// <summary>host:port[,host:port…] of an ensemble to attach.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The name of digest credentials configured under <c>Portal:Credentials</c>, for an attached ensemble.</summary>
    public string? CredentialsReference { get; init; }

    /// <summary>Where a new embedded or local ZooKeeper ensemble keeps its members, relative to the data directory.</summary>
    public string Directory => Path.Combine("ensembles", Name);

    public StoredEnsemble ToStored() => Backend == BackendKind.AttachedZooKeeper
        ? new StoredEnsemble { Name = Name, Backend = Backend, Members = [], Settings = Settings, ConnectionString = ConnectionString?.Trim(), CredentialsReference = string.IsNullOrWhiteSpace(CredentialsReference) ? null : CredentialsReference.Trim() }
        : StoredEnsemble.For(EnsembleSpec.OfSize(Name, Size, Settings, Backend), Directory);
}

/// <summary>
/// Checks and creates a new ensemble: the name is valid and unused, the size sensible (an even size is allowed with
/// a warning that says what it tolerates), ZooKeeper and Java are found for a local ensemble, and the connection
/// string parses for an attached one. Creating stores it in the catalog, starts it and audits the outcome; on a
/// failure to start nothing stays stored.
/// </summary>
public sealed class NewEnsemble(EnsembleRegistry registry, IEnsembleCatalog catalog, EnsembleLauncher launcher)
{
    public const int MaxSize = 7;

    public async Task<PreflightReport> CheckAsync(NewEnsembleRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var checks = new List<PreflightCheck>();
        var attached = request.Backend == BackendKind.AttachedZooKeeper;
        if (!attached && request.Size is < 1 or > MaxSize)
        {
            checks.Add(PreflightCheck.Error("size", $"an ensemble here has 1 to {MaxSize} participants (asked for {request.Size})."));
        }
        else
        {
            checks.AddRange(request.ToStored().Validate().Select(e => PreflightCheck.Error(e.Field, $"{e.Field}: {e.Rule}.")));
        }

        if (string.Equals(request.Name.Trim(), "new", StringComparison.OrdinalIgnoreCase))
        {
            checks.Add(PreflightCheck.Error("name", "'new' is the address of this wizard (/ensembles/new); choose another name."));
        }
        else if (!string.IsNullOrWhiteSpace(request.Name) &&
            (registry.TryGet(request.Name, out _) || await catalog.GetAsync(request.Name, cancellationToken).ConfigureAwait(false) is not null))
        {
            checks.Add(PreflightCheck.Error("name", $"an ensemble named {request.Name} already exists; choose another name."));
        }

        if (!attached)
        {
            SizeChecks(request.Size, checks);
            if (!string.IsNullOrWhiteSpace(request.Name) && System.IO.Directory.Exists(Path.Combine(launcher.DataRoot, request.Directory)))
            {
                checks.Add(PreflightCheck.Error("directory", $"{Path.Combine(launcher.DataRoot, request.Directory)} already exists (left by an ensemble of that name?); choose another name or delete it."));
            }
        }

        if (request.Backend == BackendKind.LocalZooKeeper)
        {
            try
            {
                var found = ZooKeeperInstallation.Locate();
                checks.Add(PreflightCheck.Info("zookeeper", $"ZooKeeper {found.ZooKeeperJar}, Java {found.JavaPath}; AdminServer {(found.HasAdminServer ? "on" : "off (servlet API not found)")}; ports are free loopback ports chosen at start."));
            }
            catch (ZooKeeperInstallationException e)
            {
                checks.Add(PreflightCheck.Error("zookeeper", e.Message));
            }
        }

        if (attached)
        {
            AttachChecks(request, checks);
        }

        string[] steps = attached
            ? ["store in the catalog", "connect and read the configuration", "record settings v1"]
            : ["store in the catalog", $"start {request.Size} member{(request.Size == 1 ? "" : "s")}", "record settings v1"];
        return new PreflightReport(checks, steps);
    }

    /// <summary>Creates the ensemble if <see cref="CheckAsync"/> passes; otherwise throws with its errors and changes nothing.</summary>
    public async Task<RegisteredEnsemble> CreateAsync(NewEnsembleRequest request, string createdBy, string? reason, CancellationToken cancellationToken)
    {
        var report = await CheckAsync(request, cancellationToken).ConfigureAwait(false);
        if (!report.CanProceed)
        {
            throw new InvalidOperationException(report.ErrorSummary);
        }

        return await launcher.CreateAsync(request.ToStored(), createdBy, reason, cancellationToken).ConfigureAwait(false);
    }

    private static void SizeChecks(int size, List<PreflightCheck> checks)
    {
        if (size is < 1 or > MaxSize)
        {
            return;
        }

        var tolerated = QuorumMath.FailuresTolerated(size);
        if (size == 1)
        {
            checks.Add(PreflightCheck.Warning("size", "one participant tolerates no failure: when it stops, the ensemble stops."));
        }
        else if (size % 2 == 0)
        {
            checks.Add(PreflightCheck.Warning("size", $"{size} participants tolerate {tolerated} failure{(tolerated == 1 ? "" : "s")}, no more than {size - 1} would; {size + 1} would tolerate {QuorumMath.FailuresTolerated(size + 1)}."));
        }
        else
        {
            checks.Add(PreflightCheck.Info("size", $"{size} participants: majority {QuorumMath.Majority(size)}, {tolerated} failure{(tolerated == 1 ? "" : "s")} tolerated."));
        }
    }

    private static void AttachChecks(NewEnsembleRequest request, List<PreflightCheck> checks)
    {
        foreach (var part in (request.ConnectionString ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                checks.Add(PreflightCheck.Error("connectionString", $"'{part}' is not host:port (port 1–65535)."));
            }
        }

        checks.Add(PreflightCheck.Info("process control", "an attached ensemble is watched, used and reconfigured; the portal cannot start, stop or restart its members."));
    }
}
