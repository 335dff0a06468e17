namespace QuorumPortal.Portal.Configuration;

/// <summary>The portal's settings, bound from the <c>Portal</c> configuration section.</summary>
public sealed class PortalOptions
{
    public const string SectionName = "Portal";

    /// <summary>Create and start the 3-node embedded "demo" ensemble at startup. Default true.</summary>
    public bool DemoEnsemble { get; set; } = true;

    /// <summary>Where ensembles keep their data; relative paths are under the content root. Default <c>data</c>.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Time between probe rounds of every ensemble. Default 250 ms; between 10 ms and 1 minute.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    public static readonly TimeSpan MinProbeInterval = TimeSpan.FromMilliseconds(10);

    public static readonly TimeSpan MaxProbeInterval = TimeSpan.FromMinutes(1);

    /// <summary><see cref="DataDirectory"/> as an absolute path.</summary>
    public string ResolveDataDirectory(string contentRoot) => Path.GetFullPath(DataDirectory, contentRoot);
}
