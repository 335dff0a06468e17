using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Client;
using QuorumPortal.Engine.ZooKeeper.Local;

namespace QuorumPortal.Engine.ZooKeeper;

/// <summary>Joiners and membership changes, done ZooKeeper's safe way (see Engine/ZooKeeper/Local/README.md).</summary>
public sealed partial class LocalZooKeeperEnsemble
{
    /// <summary>A provisioned joiner; <paramref name="Fresh"/> when its directory was created for it (a rollback deletes it).</summary>
    private sealed record Joiner(MemberSpec Spec, bool Fresh);

    /// <summary>
    /// Provisions a joining member with the committed configuration plus itself. The id of a removed member may be
    /// used again: its directory is reused with its data unless it was decommissioned with its data.
    /// </summary>
    /// <exception cref="ValidationException">a bad member, an id in use, a port in use; nothing was written.</exception>
    public async Task<MemberSpec> ProvisionMemberAsync(MemberSpec member, CancellationToken cancellationToken)
    {
        var configuration = Configuration;
        var errors = EnsembleSpec.ValidateMember(member).ToList();
        lock (_gate)
        {
            if (_configuration.FirstOrDefault(m => m.ServerId == member.ServerId) is { } existing)
            {
                errors.Add(new($"server.{member.ServerId}", $"server id {member.ServerId} is already used in {Name} (a {(existing.IsVoter ? "participant" : "observer")} of the configuration); choose another id, or remove that member first"));
            }
            else if (_joiners.ContainsKey(member.ServerId))
            {
                errors.Add(new($"server.{member.ServerId}", $"server id {member.ServerId} is already provisioned as a joiner of {Name}; add it, or decommission it first"));
            }
        }

        if (errors.Count == 0)
        {
            // Ports clashing with the configuration, then ports another process listens on.
            var withOthers = new EnsembleSpec { Name = Name, Members = [.. configuration, member], Settings = Settings };
            errors.AddRange(withOthers.Validate().Where(e => e.Field == $"server.{member.ServerId}"));
            var ports = new[] { (Kind: "client", Port: member.ClientPort), (Kind: "quorum", Port: member.QuorumPort), (Kind: "election", Port: member.ElectionPort) };
            errors.AddRange(ports.Where(p => p.Port != 0 && !LoopbackPorts.IsFree(member.Host, p.Port))
                .Select(p => new ValidationError($"server.{member.ServerId}", $"{p.Kind} port {p.Port} on {member.Host} is in use by another process; choose another port or 0 to allocate a free one")));
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        if (_supervisor.Members.FirstOrDefault(m => m.ServerId == member.ServerId) is { IsRunning: true } removed)
        {
            await removed.StopAsync(StopMode.Graceful, cancellationToken).ConfigureAwait(false);
        }

        var (joiner, fresh) = _supervisor.ProvisionJoiner(member, configuration, Settings);
        lock (_gate)
        {
            _joiners[joiner.ServerId] = new Joiner(joiner, fresh);
        }

        return joiner;
    }

    /// <summary>Stops and forgets a member outside the configuration (a joiner, or a removed member), deleting its directory when asked.</summary>
    public async Task DecommissionMemberAsync(int serverId, bool deleteData, CancellationToken cancellationToken)
    {
        if (Configuration.Any(m => m.ServerId == serverId))
        {
            throw new InvalidOperationException($"server.{serverId} is in the configuration of {Name}; remove it first");
        }

        if (_supervisor.Members.FirstOrDefault(m => m.ServerId == serverId) is { } member)
        {
            await member.StopAsync(StopMode.Graceful, cancellationToken).ConfigureAwait(false);
            _supervisor.Forget(serverId);
        }

        lock (_gate)
        {
            _joiners.Remove(serverId);
        }

        var directory = Path.Combine(_supervisor.RootDirectory, $"server.{serverId}");
        if (deleteData && Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public Task<ReconfigResult> ReconfigureAsync(IReadOnlyList<MemberSpec> joining, IReadOnlyList<int> leaving, CancellationToken cancellationToken) =>
        ReconfigureAsync(joining, leaving, ReconfigOptions.Default, cancellationToken);

    /// <summary>
    /// Adds provisioned, running joiners (one participant at a time) and removes leavers with one incremental
    /// reconfig. Each joiner must be synced with the leader first; it then counts in the new configuration's quorum.
    /// A refused or failed change rolls its joiners back (stopped, decommissioned) unless the options keep them.
    /// </summary>
    public async Task<ReconfigResult> ReconfigureAsync(IReadOnlyList<MemberSpec> joining, IReadOnlyList<int> leaving, ReconfigOptions options, CancellationToken cancellationToken)
    {
        await _reconfiguring.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = Configuration;
            var joiners = joining.Select(j =>
            {
                lock (_gate)
                {
                    return _joiners.TryGetValue(j.ServerId, out var provisioned) ? provisioned
                        : throw new InvalidOperationException($"server.{j.ServerId} must be provisioned and started before it is added; nothing was changed");
                }
            }).ToList();
            var specs = joiners.Select(j => j.Spec).ToList();
            ZooKeeperReconfig.EnsureValid(Name, Settings, current, specs, leaving);
            foreach (var joiner in specs.Where(j => !_supervisor.Member(j.ServerId).IsRunning))
            {
                throw new InvalidOperationException($"server.{joiner.ServerId} must be started before it is added; nothing was changed (it stays provisioned)");
            }

            foreach (var joiner in specs)
            {
                await WaitUntilSyncedAsync(joiner, joiners, options, cancellationToken).ConfigureAwait(false);
            }

            // Ask members that stay and can answer (a paused one would hold the request until it times out).
            var remaining = current.Where(m => !leaving.Contains(m.ServerId)).ToList();
            var (version, members) = await ZooKeeperReconfig.RunAsync(
                Name,
                ct => ConnectAsync(remaining.Where(m => _supervisor.Member(m.ServerId) is { IsRunning: true, IsPaused: false }).ToList(), TimeSpan.FromSeconds(10), ct),
                new DigestCredentials("super", _supervisor.SuperPassword!),
                specs,
                leaving,
                options.ExpectedConfigVersion,
                ct => RollBackAsync(joiners, options, ct),
                cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _configuration = members;
                _configVersion = version;
                foreach (var joiner in specs)
                {
                    _joiners.Remove(joiner.ServerId);
                }
            }

            foreach (var joiner in specs)
            {
                _supervisor.Joined(joiner.ServerId);
            }

            // A removed member keeps running as a non-voting follower; it is stopped (and its directory kept).
            foreach (var id in leaving)
            {
                await StopMemberAsync(id, StopMode.Graceful, cancellationToken).ConfigureAwait(false);
            }

            return new ReconfigResult(version, members);
        }
        finally
        {
            _reconfiguring.Release();
        }
    }

    private async Task<JoinerOutcome> RollBackAsync(IReadOnlyList<Joiner> joiners, ReconfigOptions options, CancellationToken cancellationToken)
    {
        if (joiners.Count == 0)
        {
            return JoinerOutcome.None;
        }

        if (options.KeepJoinersOnFailure)
        {
            return JoinerOutcome.LeftRunning;
        }

        foreach (var joiner in joiners)
        {
            await DecommissionMemberAsync(joiner.Spec.ServerId, deleteData: joiner.Fresh, cancellationToken).ConfigureAwait(false);
        }

        return JoinerOutcome.RolledBack;
    }

    private async Task WaitUntilSyncedAsync(MemberSpec joiner, IReadOnlyList<Joiner> joiners, ReconfigOptions options, CancellationToken cancellationToken)
    {
        if (await MembershipChange.WaitUntilSyncedAsync(this, joiner.ServerId, _time, cancellationToken).ConfigureAwait(false) is not { } status)
        {
            return;
        }

        // The log's last complaint is kept for the message: a rollback deletes a fresh joiner's directory.
        var member = _supervisor.Member(joiner.ServerId);
        var complaint = member.LogTail(500).Split('\n').LastOrDefault(IsComplaint)?.Trim();
        var outcome = await RollBackAsync(joiners, options, cancellationToken).ConfigureAwait(false);
        throw ReconfigurationException.NotSynced(
            Name, joiner.ServerId, MembershipChange.SyncLimit(Settings), Describe(status),
            outcome == JoinerOutcome.RolledBack ? null : member.LogPath, complaint, [.. joiners.Select(j => j.Spec.ServerId)], outcome);
    }

    // Errors, and warnings about reaching peers; not the configuration notices every start logs.
    private static bool IsComplaint(string line) =>
        line.Contains(" ERROR ", StringComparison.Ordinal)
        || (line.Contains(" WARN ", StringComparison.Ordinal)
            && (line.Contains("connect", StringComparison.OrdinalIgnoreCase) || line.Contains("exception", StringComparison.OrdinalIgnoreCase) || line.Contains("cannot", StringComparison.OrdinalIgnoreCase)));

    private static string Describe(MemberStatus status) => status.State + (status.Error is null ? string.Empty : ": " + status.Error);
}
