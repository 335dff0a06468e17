using QuorumPortal.Engine.ZooKeeper.Local;

namespace QuorumPortal.Engine.ZooKeeper;

/// <summary>Reopening an ensemble from its directory after the portal itself restarted.</summary>
public sealed partial class LocalZooKeeperEnsemble
{
    /// <summary>
    /// Reopens the local ensemble under <paramref name="rootDirectory"/> as its members left it: the membership is the
    /// newest configuration any member's own files hold, the settings those of its <c>zoo.cfg</c>, joiners those still
    /// marked joining. Members still running are adopted (pid file, and the process runs that member's <c>zoo.cfg</c>);
    /// members of the configuration that are not running are started; joiners that are not running stay stopped.
    /// Then the configuration is read from ZooKeeper itself when a quorum serves.
    /// </summary>
    /// <exception cref="InvalidOperationException">no member directory under <paramref name="rootDirectory"/>.</exception>
    public static async Task<LocalZooKeeperEnsemble> OpenExistingAsync(
        string name, string rootDirectory, ZooKeeperInstallation? installation = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var supervisor = new LocalZooKeeperSupervisor(rootDirectory, installation ?? ZooKeeperInstallation.Locate());
        var files = supervisor.Open();
        var newest = files.Where(f => !f.Joining || f.ConfigVersion > 0).MaxBy(f => f.ConfigVersion)
            ?? throw new InvalidOperationException($"no ZooKeeper member directory (server.<id>/zoo.cfg) under {supervisor.RootDirectory}; nothing to open");

        // Each member of the configuration as its own files describe it, where it has a directory.
        var configuration = newest.Configuration
            .Select(m => files.FirstOrDefault(f => f.Spec.ServerId == m.ServerId && !f.Joining)?.Spec ?? m)
            .ToList();
        var settingsFrom = files.FirstOrDefault(f => configuration.Any(m => m.ServerId == f.Spec.ServerId)) ?? newest;
        var settings = ZooKeeperConfigFile.ReadSettings(supervisor.Member(settingsFrom.Spec.ServerId).ConfigPath);
        var ensemble = new LocalZooKeeperEnsemble(name, supervisor, settings, configuration, newest.ConfigVersion, time);
        foreach (var joiner in files.Where(f => f.Joining && configuration.All(m => m.ServerId != f.Spec.ServerId)))
        {
            ensemble._joiners[joiner.Spec.ServerId] = new Joiner(joiner.Spec, joiner.FreshJoiner);
        }

        foreach (var member in supervisor.Members)
        {
            member.TryAdopt();
        }

        await ensemble.StartAsync(cancellationToken).ConfigureAwait(false);
        await ensemble.RefreshConfigurationAsync(cancellationToken).ConfigureAwait(false);
        return ensemble;
    }

    /// <summary>
    /// Reads the committed configuration from the running members and adopts it when it is newer than the one known
    /// here (a joiner added by a change whose answer was lost, or a change made outside the portal). False when no
    /// member that serves could be reached.
    /// </summary>
    public async Task<bool> RefreshConfigurationAsync(CancellationToken cancellationToken)
    {
        var running = Configuration.Where(m => _supervisor.Members.Any(s => s.ServerId == m.ServerId && s.IsRunning && !s.IsPaused)).ToList();
        if (running.Count == 0)
        {
            return false;
        }

        var read = await ZooKeeperReconfig.TryReadConfigAsync(ct => ConnectAsync(running, TimeSpan.FromSeconds(10), ct), cancellationToken).ConfigureAwait(false);
        if (read is not { } config)
        {
            return false;
        }

        List<int> joined;
        lock (_gate)
        {
            if (config.Version <= _configVersion)
            {
                return true;
            }

            _configVersion = config.Version;
            _configuration = config.Members;
            joined = [.. _joiners.Keys.Where(id => config.Members.Any(m => m.ServerId == id))];
            foreach (var id in joined)
            {
                _joiners.Remove(id);
            }
        }

        foreach (var id in joined)
        {
            _supervisor.Joined(id);
        }

        return true;
    }
}
