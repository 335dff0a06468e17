using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Runtime;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded;

/// <summary>Joiners and membership changes, with the same rules and messages as the ZooKeeper backends.</summary>
public sealed partial class EmbeddedEnsemble
{
    /// <summary>
    /// Provisions a joining member with the committed configuration plus itself. The id of a removed member may be used
    /// again: its data directory is reused unless it was decommissioned with its data.
    /// </summary>
    public Task<MemberSpec> ProvisionMemberAsync(MemberSpec member, CancellationToken cancellationToken)
    {
        var errors = EnsembleSpec.ValidateMember(member).ToList();
        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        lock (_gate)
        {
            if (_configuration.FirstOrDefault(m => m.ServerId == member.ServerId) is { } existing)
            {
                throw new ValidationException([new($"server.{member.ServerId}", $"server id {member.ServerId} is already used in {Name} (a {(existing.IsVoter ? "participant" : "observer")} of the configuration); choose another id, or remove that member first")]);
            }

            if (_members.ContainsKey(member.ServerId))
            {
                throw new ValidationException([new($"server.{member.ServerId}", $"server id {member.ServerId} is already provisioned as a joiner of {Name}; add it, or decommission it first")]);
            }

            // A joiner starts with the committed configuration plus itself, as ZooKeeper's does.
            var fresh = _dataDirectory is null || !Directory.Exists(MemberDirectory(member.ServerId));
            _members[member.ServerId] = new Member(member, [.. _configuration, member]) { FreshJoiner = fresh };
        }

        return Task.FromResult(member);
    }

    public async Task DecommissionMemberAsync(int serverId, bool deleteData, CancellationToken cancellationToken)
    {
        if (Configuration.Any(m => m.ServerId == serverId))
        {
            throw new InvalidOperationException($"server.{serverId} is in the configuration of {Name}; remove it first");
        }

        await StopMemberAsync(serverId, StopMode.Graceful, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _members.Remove(serverId);
        }

        if (deleteData && _dataDirectory is not null && Directory.Exists(MemberDirectory(serverId)))
        {
            Directory.Delete(MemberDirectory(serverId), recursive: true);
        }
    }

    public Task<ReconfigResult> ReconfigureAsync(IReadOnlyList<MemberSpec> joining, IReadOnlyList<int> leaving, CancellationToken cancellationToken) =>
        ReconfigureAsync(joining, leaving, ReconfigOptions.Default, cancellationToken);

    /// <summary>
    /// Adds provisioned, running joiners and removes leavers with one committed configuration entry. A refused or
    /// failed change rolls its joiners back (stopped, decommissioned) unless the options keep them.
    /// </summary>
    public async Task<ReconfigResult> ReconfigureAsync(IReadOnlyList<MemberSpec> joining, IReadOnlyList<int> leaving, ReconfigOptions options, CancellationToken cancellationToken)
    {
        var current = Configuration;
        foreach (var joiner in joining)
        {
            lock (_gate)
            {
                if (!_members.ContainsKey(joiner.ServerId) || current.Any(m => m.ServerId == joiner.ServerId))
                {
                    throw new InvalidOperationException($"server.{joiner.ServerId} must be provisioned and started before it is added; nothing was changed");
                }
            }

            if (RunningPeer(joiner.ServerId) is null)
            {
                throw new InvalidOperationException($"server.{joiner.ServerId} must be started before it is added; nothing was changed (it stays provisioned)");
            }
        }

        MembershipChange.EnsureValid(Name, Settings, current, joining, leaving);
        var members = current.Where(m => !leaving.Contains(m.ServerId)).Concat(joining).ToList();
        var joinerIds = joining.Select(j => j.ServerId).ToArray();
        foreach (var joiner in joining)
        {
            if (await MembershipChange.WaitUntilSyncedAsync(this, joiner.ServerId, _time, cancellationToken).ConfigureAwait(false) is { } status)
            {
                var outcome = await RollBackAsync(joining, options).ConfigureAwait(false);
                throw ReconfigurationException.NotSynced(Name, joiner.ServerId, MembershipChange.SyncLimit(Settings),
                    status.State + (status.Error is null ? string.Empty : ": " + status.Error), null, null, joinerIds, outcome);
            }
        }

        // Ask a member that stays, so the answer does not depend on one that is leaving.
        var client = new EmbeddedCoordinationClient(this, new ClientOptions
        {
            ServerIds = current.Where(m => !leaving.Contains(m.ServerId) && IsRunning(m.ServerId)).Select(m => m.ServerId).ToArray(),
        }, _time);
        long version;
        var sent = false;
        await using (client.ConfigureAwait(false))
        {
            try
            {
                await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
                sent = true;
                version = await client.ReconfigAsync(members, options.ExpectedConfigVersion ?? -1, cancellationToken).ConfigureAwait(false);
            }
            catch (CoordinationException e) when (!sent || e.Error == CoordinationError.NoQuorum)
            {
                // No member with a leader took the request, so nothing was proposed.
                throw ReconfigurationException.Unreachable(Name, e, joinerIds, await RollBackAsync(joining, options).ConfigureAwait(false));
            }
            catch (CoordinationException e) when (!e.OutcomeUnknown && e.Error != CoordinationError.SessionExpired)
            {
                var now = await ReadCommittedAsync().ConfigureAwait(false);
                var outcome = await RollBackAsync(joining, options).ConfigureAwait(false);
                throw ReconfigurationException.Refused(Name, e.Error, e.Message, options.ExpectedConfigVersion, now, joinerIds, outcome, e);
            }
            catch (CoordinationException e)
            {
                throw ReconfigurationException.Unknown(Name, e, joinerIds);
            }
        }

        lock (_gate)
        {
            if (version > ConfigurationVersion)
            {
                ConfigurationVersion = version;
                _configuration = members;
            }

            foreach (var id in joinerIds)
            {
                _members[id].FreshJoiner = false;
            }
        }

        // A removed member is stopped and forgotten; its data stays, for adding it back under the same id.
        foreach (var id in leaving)
        {
            await StopMemberAsync(id, StopMode.Graceful, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _members.Remove(id);
            }
        }

        return new ReconfigResult(version, members);
    }

    private async Task<JoinerOutcome> RollBackAsync(IReadOnlyList<MemberSpec> joining, ReconfigOptions options)
    {
        if (joining.Count == 0)
        {
            return JoinerOutcome.None;
        }

        if (options.KeepJoinersOnFailure)
        {
            return JoinerOutcome.LeftRunning;
        }

        foreach (var joiner in joining)
        {
            bool fresh;
            lock (_gate)
            {
                fresh = _members.TryGetValue(joiner.ServerId, out var member) && member.FreshJoiner;
            }

            await DecommissionMemberAsync(joiner.ServerId, deleteData: fresh, CancellationToken.None).ConfigureAwait(false);
        }

        return JoinerOutcome.RolledBack;
    }

    /// <summary>The newest committed configuration any running member has applied.</summary>
    private async Task<(long Version, IReadOnlyList<MemberSpec> Members)?> ReadCommittedAsync()
    {
        (long Version, IReadOnlyList<MemberSpec> Members)? newest = null;
        foreach (var member in Configuration)
        {
            if (RunningPeer(member.ServerId) is not { } peer)
            {
                continue;
            }

            try
            {
                var config = await peer.Loop.InvokeAsync(() => (peer.Tree.ConfigVersion, peer.Tree.Members)).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                if (newest is null || config.ConfigVersion > newest.Value.Version)
                {
                    newest = (config.ConfigVersion, config.Members);
                }
            }
            catch (Exception e) when (e is TimeoutException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }

        return newest;
    }
}
