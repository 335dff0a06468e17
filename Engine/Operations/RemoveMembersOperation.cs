using System.Globalization;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Operations;

/// <summary>
/// Removes members one at a time by reconfig, then stops each and keeps or deletes its directory. Preflight
/// refuses a removal that would leave fewer running voters than the new configuration's majority. Removing the
/// leader relies on the protocol's hand-off: the reconfig commits, the leader steps down and another is elected.
/// </summary>
public sealed class RemoveMembersOperation : EnsembleOperation
{
    private readonly IReadOnlyList<int> _serverIds;
    private readonly bool _deleteData;
    private List<int>? _order;

    public RemoveMembersOperation(IReadOnlyList<int> serverIds, bool deleteData)
    {
        ArgumentNullException.ThrowIfNull(serverIds);
        _serverIds = [.. serverIds.Distinct()];
        _deleteData = deleteData;
    }

    public override OperationKind Kind => OperationKind.RemoveMembers;

    public override string Title => $"Remove server {string.Join(", ", _serverIds)}";

    public override IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string>
    {
        ["servers"] = string.Join(",", _serverIds),
        ["directory"] = _deleteData ? "delete" : "keep",
    };

    public override Task<PreflightReport> PreflightAsync(OperationTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var (backend, snapshot) = target;
        var checks = MembershipChecks.Start(backend, snapshot);
        if (_serverIds.Count == 0)
        {
            checks.Add(PreflightCheck.Error("servers", "choose at least one member to remove."));
        }

        var configuration = backend.Configuration;
        foreach (var id in _serverIds.Where(id => configuration.All(m => m.ServerId != id)))
        {
            checks.Add(PreflightCheck.Error($"server.{id}", backend.Members.Any(m => m.ServerId == id)
                ? $"server.{id} is provisioned but not in the configuration; decommission it instead."
                : $"server.{id} is not a member of {backend.Name}."));
        }

        var remaining = configuration.Where(m => !_serverIds.Contains(m.ServerId)).ToList();
        var quorum = QuorumMath.Analyze(configuration, remaining);
        if (quorum.VotersAfter == 0 && _serverIds.Count > 0)
        {
            checks.Add(PreflightCheck.Error("voters", $"removing server {string.Join(", ", _serverIds)} would leave {backend.Name} without a participant; an ensemble needs at least one voter."));
        }

        // The new configuration must have a majority of its voters running, or nothing commits after the change.
        var runningAfter = remaining.Count(m => m.IsVoter && snapshot.Status(m.ServerId) is { IsServing: true });
        if (quorum.VotersAfter > 0 && runningAfter < quorum.MajorityAfter)
        {
            var downAfter = remaining.Where(m => m.IsVoter && snapshot.Status(m.ServerId) is not { IsServing: true }).Select(m => m.ServerId);
            checks.Add(PreflightCheck.Error("quorum after", $"after removing server {string.Join(", ", _serverIds)}, {runningAfter} of the remaining {quorum.VotersAfter} voters would be running but {quorum.MajorityAfter} are needed for a quorum (server {string.Join(", ", downAfter)} not serving). Bring them back first, or remove fewer."));
        }

        checks.Add(MembershipChecks.Quorum(quorum));
        if (quorum.LosesFaultTolerance)
        {
            checks.Add(PreflightCheck.Warning("fault tolerance", $"{backend.Name} will tolerate {quorum.FailuresToleratedAfter} failure{(quorum.FailuresToleratedAfter == 1 ? string.Empty : "s")} instead of {quorum.FailuresToleratedBefore}."));
        }

        // Followers first, the leader last: one election, at the end.
        _order = [.. _serverIds.OrderBy(id => id == snapshot.LeaderId ? 1 : 0).ThenBy(id => id)];
        if (snapshot.LeaderId is { } leader && _serverIds.Contains(leader))
        {
            checks.Add(PreflightCheck.Info("leader", $"server.{leader} leads now; removing it hands leadership to another voter (a short election, writes pause)."));
        }

        checks.Add(backend.Capabilities.ProcessControl
            ? PreflightCheck.Info("directory", _deleteData ? "the removed members' directories will be deleted." : "the removed members' directories are kept.")
            : PreflightCheck.Warning("process control", $"the portal does not run {backend.Name}'s members: it removes them from the configuration, and you stop them yourself."));
        return Task.FromResult(new PreflightReport(checks, [.. _order.SelectMany(StepNames)], quorum));
    }

    protected internal override async Task<string> ExecuteAsync(OperationContext context)
    {
        var order = _order ?? throw new InvalidOperationException("preflight first");
        var backend = context.Backend;
        var removed = new List<int>();
        foreach (var id in order)
        {
            var names = StepNames(id).ToArray();
            var wasLeader = false;
            try
            {
                await context.StepAsync(names[0], async ct =>
                {
                    var before = await backend.ProbeSnapshotAsync(context.Time, ct).ConfigureAwait(false);
                    wasLeader = before.LeaderId == id;
                    var result = await backend.ReconfigureAsync([], [id], ct).ConfigureAwait(false);
                    return $"configuration version {result.ConfigVersion:x}: {result.Members.Count} members";
                }).ConfigureAwait(false);

                await context.StepAsync(names[1], async (progress, ct) =>
                {
                    progress(wasLeader ? "waiting for another voter to take over" : "waiting for the leader to confirm the new configuration");
                    var voters = backend.Configuration.Count(m => m.IsVoter);
                    var after = await context.WaitForAsync(s => s.HasQuorum && s.LeaderId != id && s.VoterCount == voters, context.ElectionTimeout, $"a leader without server.{id}").ConfigureAwait(false);
                    return $"server {after.LeaderId} leads epoch {after.Epoch}";
                }).ConfigureAwait(false);

                await context.StepAsync(names[2], async ct =>
                {
                    if (!backend.Capabilities.ProcessControl)
                    {
                        return $"not stopped: the portal does not run server.{id}; stop it yourself (ZooKeeper keeps a removed server running as a non-voting follower)";
                    }

                    await backend.DecommissionMemberAsync(id, _deleteData, ct).ConfigureAwait(false);
                    return _deleteData ? "stopped, directory deleted" : "stopped, directory kept";
                }).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
            {
                var inConfig = backend.Configuration.Any(m => m.ServerId == id);
                throw new OperationFailedException(
                    $"Removing server.{id} failed: {ex.Message} server.{id} is {(inConfig ? "still in" : "no longer in")} the configuration." +
                    (removed.Count > 0 ? $" Server {string.Join(", ", removed)} {(removed.Count == 1 ? "was" : "were")} removed before." : string.Empty),
                    ex);
            }

            removed.Add(id);
        }

        var final = await backend.ProbeSnapshotAsync(context.Time, context.CancellationToken).ConfigureAwait(false);
        return $"{backend.Name} has {final.VoterCount} voters, server {final.LeaderId?.ToString(CultureInfo.InvariantCulture) ?? "none"} leads epoch {final.Epoch}; removed server {string.Join(", ", removed)}.";
    }

    private static IEnumerable<string> StepNames(int id) =>
        [$"server.{id}: reconfig remove", $"server.{id}: leader confirmed", $"server.{id}: stop"];
}
