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
public sealed class LocalZooKeeperEnsemble : IEnsembleBackend
{
    private readonly LocalZooKeeperSupervisor _supervisor;
    private readonly ZooKeeperProbe _probe;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, MemberSpec> _joiners = [];
    private IReadOnlyList<MemberSpec> _configuration;
    private EnsembleSettings _settings;

    /// <param name="spec">Name, members (ports 0 are allocated) and settings; validated.</param>
    /// <param name="rootDirectory">Where the members' directories are; existing ones are reused as they are.</param>
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

    public string Name { get; }

    public BackendKind Kind => BackendKind.LocalZooKeeper;

    public BackendCapabilities Capabilities { get; } = new(ProcessControl: true, Reconfigure: true, ApplySettings: false, FaultInjection: true);

    public IReadOnlyList<MemberSpec> Members
    {
        get
        {
            lock (_gate)
            {
                return [.. _configuration, .. _joiners.Values.Where(j => _configuration.All(c => c.ServerId != j.ServerId))];
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

        member.EnsurePortsFree();
        await member.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopMemberAsync(int serverId, StopMode mode, CancellationToken cancellationToken) =>
        _supervisor.Member(serverId).StopAsync(mode, cancellationToken);

    public async Task<MemberStatus> ProbeAsync(int serverId, CancellationToken cancellationToken)
    {
        var member = _supervisor.Member(serverId);
        if (!member.IsRunning)
        {
            return MemberStatus.Down(serverId, _time.GetUtcNow(), "stopped");
        }

        return await _probe.ProbeAsync(member.Spec, member.AdminServer, cancellationToken).ConfigureAwait(false);
    }

    public Task<MemberSpec> ProvisionMemberAsync(MemberSpec member, CancellationToken cancellationToken)
    {
        var errors = EnsembleSpec.ValidateMember(member).ToList();
        lock (_gate)
        {
            if (_configuration.Any(m => m.ServerId == member.ServerId) || _joiners.ContainsKey(member.ServerId))
            {
                errors.Add(new($"server.{member.ServerId}", $"server id {member.ServerId} is already used in {Name}"));
            }
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        // The joiner's own files list the committed configuration plus itself, as ZooKeeper asks of a joiner.
        var provisioned = _supervisor.Provision(new EnsembleSpec { Name = Name, Members = [.. Configuration, member], Settings = Settings, Backend = Kind });
        var joiner = provisioned.First(m => m.ServerId == member.ServerId);
        lock (_gate)
        {
            _joiners[joiner.ServerId] = joiner;
        }

        return Task.FromResult(joiner);
    }

    public async Task DecommissionMemberAsync(int serverId, bool deleteData, CancellationToken cancellationToken)
    {
        if (Configuration.Any(m => m.ServerId == serverId))
        {
            throw new InvalidOperationException($"server {serverId} is in the configuration of {Name}; remove it first");
        }

        var member = _supervisor.Member(serverId);
        await member.StopAsync(StopMode.Graceful, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _joiners.Remove(serverId);
        }

        if (deleteData && Directory.Exists(member.Directory))
        {
            Directory.Delete(member.Directory, recursive: true);
        }
    }

    public async Task<ReconfigResult> ReconfigureAsync(IReadOnlyList<MemberSpec> joining, IReadOnlyList<int> leaving, CancellationToken cancellationToken)
    {
        var current = Configuration;
        var joiners = joining.Select(j =>
        {
            lock (_gate)
            {
                return _joiners.TryGetValue(j.ServerId, out var provisioned) ? provisioned
                    : throw new InvalidOperationException($"server {j.ServerId} must be provisioned and started before it is added");
            }
        }).ToList();
        ZooKeeperReconfig.EnsureValid(Name, Settings, current, joiners, leaving);
        foreach (var joiner in joiners)
        {
            await WaitUntilSyncedAsync(joiner, cancellationToken).ConfigureAwait(false);
        }

        // Ask members that stay, as the super user.
        var remaining = current.Where(m => !leaving.Contains(m.ServerId)).ToList();
        var (version, members) = await ZooKeeperReconfig.RunAsync(
            ct => ConnectAsync(remaining.Where(m => _supervisor.Member(m.ServerId).IsRunning).ToList(), TimeSpan.FromSeconds(10), ct),
            new DigestCredentials("super", _supervisor.SuperPassword!),
            joiners,
            leaving,
            cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _configuration = members;
            foreach (var joiner in joiners)
            {
                _joiners.Remove(joiner.ServerId);
            }
        }

        foreach (var id in leaving)
        {
            await StopMemberAsync(id, StopMode.Graceful, cancellationToken).ConfigureAwait(false);
        }

        return new ReconfigResult(version, members);
    }

    /// <summary>
    /// A joiner must follow the leader (synced) before it is added: otherwise the new configuration may lack a
    /// synced quorum, and ZooKeeper refuses it with NewConfigNoQuorum. Waits up to initLimit ticks, twice over.
    /// </summary>
    private async Task WaitUntilSyncedAsync(MemberSpec joiner, CancellationToken cancellationToken)
    {
        if (!_supervisor.Member(joiner.ServerId).IsRunning)
        {
            throw new InvalidOperationException($"server {joiner.ServerId} must be started before it is added");
        }

        var limit = TimeSpan.FromMilliseconds(2.0 * Settings.TickTime * Settings.InitLimit);
        var started = _time.GetTimestamp();
        while (true)
        {
            var status = await ProbeAsync(joiner.ServerId, cancellationToken).ConfigureAwait(false);
            if (status.IsServing)
            {
                return;
            }

            if (_time.GetElapsedTime(started) > limit)
            {
                throw new InvalidOperationException(
                    $"server {joiner.ServerId} is not synced with the leader after {limit.TotalSeconds:0.#} s (it is {status.State}{(status.Error is null ? string.Empty : ": " + status.Error)}); nothing was changed");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(20, Settings.TickTime / 4)), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task ApplySettingsAsync(EnsembleSettings settings, CancellationToken cancellationToken) =>
        throw new NotSupportedException("settings of a local ZooKeeper ensemble are applied by a rolling restart, which is not built yet");

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

    public async ValueTask DisposeAsync() => await StopAsync(StopMode.Graceful, CancellationToken.None).ConfigureAwait(false);
}
