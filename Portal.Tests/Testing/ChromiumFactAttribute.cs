using QuorumPortal.Engine.ZooKeeper.Local;

namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>
/// A test in real Chromium. Outside CI it is skipped, with the reason, when Chromium is not installed; under CI=true
/// it always runs (and fails with the launcher's message), because CI installs Chromium.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute() => Skip = BrowserTestRequirements.SkipReason(zooKeeper: false);
}

/// <summary>A test in real Chromium against real ZooKeeper processes; skipped like <see cref="ChromiumFactAttribute"/>.</summary>
public sealed class ChromiumZooKeeperFactAttribute : FactAttribute
{
    public ChromiumZooKeeperFactAttribute() => Skip = BrowserTestRequirements.SkipReason(zooKeeper: true);
}

internal static class BrowserTestRequirements
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why the test cannot run here, or null when it must run (always under CI).</summary>
    public static string? SkipReason(bool zooKeeper)
    {
        if (IsCi)
        {
            return null;
        }

        var missing = new List<string>();
        if (!Chromium.IsInstalled)
        {
            missing.Add($"Chromium at {Chromium.ExecutablePath} (apt-get install chromium)");
        }

        if (zooKeeper && !ZooKeeperInstallation.TryLocate(out _, out var problem))
        {
            missing.Add($"a local ZooKeeper ({problem})");
        }

        return missing.Count == 0 ? null : $"needs {string.Join(" and ", missing)}; under CI=true it runs instead of skipping";
    }
}
