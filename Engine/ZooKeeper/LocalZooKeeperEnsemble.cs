using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Client;
using QuorumPortal.Engine.ZooKeeper.Local;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.ZooKeeper;

/// <summary>
/// The local ZooKeeper backend: each member a real <c>QuorumPeerMain</c> process under
/// <c>{rootDirectory}/server.{id}</c>, supervised by <see cref="LocalZooKeeperSupervisor"/>, probed with
/// four-letter words, changed through ZooKeeper's own reconfig as the super user.
/// </summary>
public sealed partial class LocalZooKeeperEnsemble : IEnsembleBackend
{
    private readonly LocalZooKeeperSupervisor _supervisor;
    private readonly ZooKeeperProbe _probe;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Joiner> _joiners = [];
    private readonly SemaphoreSlim _reconfiguring = new(1, 1);
    private IReadOnlyList<MemberSpec> _configuration;
    private long _configVersion;
    private EnsembleSettings _settings;
    private bool _detached;

    /// <param name="spec">Name, members (ports 0 are allocated) and settings; validated.</param>
    /// <param name="rootDirectory">
    /// Where the members' directories are; existing ones are reused as they are. To reopen an ensemble after a portal
    /// restart, use <see cref="OpenExistingAsync"/>, which reads the membership from the members' own files.
    /// </param>
    public LocalZooKeeperEnsemble(EnsembleSpec spec, string rootDirectory, ZooKeeperInstallation? installation = null, TimeProvider? time = null)
    {
        spec.EnsureValid();
        Name = spec.Name;
        _settings = spec.Settings;
        _time = time ?? TimeProvider.System;
        _supervisor = new LocalZooKeeperSupervisor(rootDirectory, installation ?? ZooKeeperInstallation.Locate());
        _configuration = _supervisor.Provision(spec);
        _probe = new ZooKeeperProbe(new FourLetterWordClient(), _time);
    }

    private LocalZooKeeperEnsemble(string name, LocalZooKeeperSupervisor supervisor, EnsembleSettings settings, IReadOnlyList<MemberSpec> configuration, long configVersion, TimeProvider? time)
    {
        Name = name;
        _supervisor = supervisor;
        _settings = settings;
        _configuration = configuration;
        _configVersion = configVersion;
        _time = time ?? TimeProvider.System;
        _probe = new ZooKeeperProbe(new FourLetterWordClient(), _time);
    }

    public string Name { get; }

    public BackendKind Kind => BackendKind.LocalZooKeeper;

    public BackendCapabilities Capabilities { get; } = new(ProcessControl: true, Reconfigure: true, ApplySettings: true, FaultInjection: true);

    public IReadOnlyList<MemberSpec> Members
    {
        get
        {
            lock (_gate)
            {
                return [.. _configuration, .. _joiners.Values.Select(j => j.Spec).Where(j => _configuration.All(c => c.ServerId != j.ServerId))];
            }
        }
    }

    public IReadOnlyList<MemberSpec> Configuration
    {
        get
        {
            lock (_gate)
            {
                return _configuration;
            }
        }
    }

    /// <summary>The version of <see cref="Configuration"/> as ZooKeeper numbers it (the zxid that committed it); 0 until read.</summary>
    public long ConfigurationVersion
    {
        get
        {
            lock (_gate)
            {
                return _configVersion;
            }
        }
    }

    public EnsembleSettings Settings
    {
        get
        {
            lock (_gate)
            {
                return _settings;
            }
        }
    }

    /// <summary>The supervisor of the member processes (pause and resume for drills, logs, pids).</summary>
    public LocalZooKeeperSupervisor Supervisor => _supervisor;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var member in Configuration)
        {
            await StartMemberAsync(member.ServerId, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(StopMode mode, CancellationToken cancellationToken)
    {
        await Task.WhenAll(Members.Select(m => StopMemberAsync(m.ServerId, mode, cancellationToken))).ConfigureAwait(false);
    }

    public async Task StartMemberAsync(int serverId, CancellationToken cancellationToken)
    {
        var member = _supervisor.Member(serverId);
        if (member.IsRunning || member.TryAdopt())
        {
            return;
        }

        bool joining;
        IReadOnlyList<MemberSpec> configuration;
        lock (_gate)
        {
            joining = _joiners.ContainsKey(serverId);
            configuration = _configuration;
        }

        if (joining)
        {
            _supervisor.PrepareJoinerStart(serverId, configuration);
        }
        else if (configuration.All(m => m.ServerId != serverId))
        {
            throw new InvalidOperationException(
                $"server.{serverId} was removed from {Name}; it is not started again. To add it back, provision it again (its data is kept unless it was decommissioned with its data), start it and add it.");
        }

        member.EnsurePortsFree();
        await member.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopMemberAsync(int serverId, StopMode mode, CancellationToken cancellationToken) =>
        _supervisor.Member(serverId).StopAsync(mode, cancellationToken);

    public async Task<MemberStatus> ProbeAsync(int serverId, ProbeDetail detail, CancellationToken cancellationToken)
    {
        var member = _supervisor.Members.FirstOrDefault(m => m.ServerId == serverId);
        if (member is not { IsRunning: true })
        {
            return MemberStatus.Down(serverId, _time.GetUtcNow(), member is null ? $"no server.{serverId} in {Name}" : "stopped")
                with { ClientsError = detail.HasFlag(ProbeDetail.Clients) ? "the member is stopped" : null };
        }

        return await _probe.ProbeAsync(member.Spec, member.AdminServer, detail, cancellationToken).ConfigureAwait(false);
    }

    public Task ApplySettingsAsync(EnsembleSettings settings, CancellationToken cancellationToken)
    {
        settings.EnsureValid();
        lock (_gate)
        {
            // ZooKeeper reads these keys only at start (its JMX setters are not reachable from here): each member's
            // zoo.cfg is edited for its next start, and a rolling restart applies them.
            _settings = settings;
            _supervisor.WriteSettings(settings);
        }

        return Task.CompletedTask;
    }

    public async Task<ICoordinationClient> OpenClientAsync(ClientOptions options, CancellationToken cancellationToken)
    {
        var members = Members.Where(m => options.ServerIds.Count == 0 || options.ServerIds.Contains(m.ServerId)).ToList();
        return await ConnectAsync(members, options.SessionTimeout, cancellationToken).ConfigureAwait(false);
    }

    private static Task<ZooKeeperClient> ConnectAsync(IReadOnlyList<MemberSpec> members, TimeSpan sessionTimeout, CancellationToken cancellationToken)
    {
        var byEndpoint = members.ToDictionary(m => $"{m.Host}:{m.ClientPort}", m => m.ServerId);
        return ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectionString = string.Join(",", byEndpoint.Keys),
            SessionTimeout = sessionTimeout,
            ServerIdLookup = endpoint => byEndpoint.TryGetValue(endpoint, out var id) ? id : null,
        }, cancellationToken);
    }

    /// <summary>
    /// Lets go of the member processes without stopping them, as when the portal shuts down: <see cref="DisposeAsync"/>
    /// stops nothing afterwards, and <see cref="OpenExistingAsync"/> on the same directory adopts them again.
    /// </summary>
    public void Detach()
    {
        lock (_gate)
        {
            _detached = true;
        }
    }

    /// <summary>Stops every member gracefully, unless <see cref="Detach"/> was called.</summary>
    public async ValueTask DisposeAsync()
    {
        bool detached;
        lock (_gate)
        {
            detached = _detached;
        }

        if (!detached)
        {
            await StopAsync(StopMode.Graceful, CancellationToken.None).ConfigureAwait(false);
        }

        _reconfiguring.Dispose();
    }
}
