using QuorumPortal.Engine.ZooKeeper.Local;

namespace QuorumPortal.Engine.Tests.Testing;

/// <summary>
/// A test against real ZooKeeper processes. Skipped with the reason when Java or ZooKeeper is missing, except under
/// CI=true, where it runs (and fails with the installation's message) because CI installs ZooKeeper.
/// </summary>
public sealed class ZooKeeperFactAttribute : FactAttribute
{
    public ZooKeeperFactAttribute()
    {
        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!ci && !ZooKeeperInstallation.TryLocate(out _, out var problem))
        {
            Skip = $"needs a local ZooKeeper: {problem}";
        }
    }
}
