using System.Globalization;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Operations;

/// <summary>How to take leadership away from the current leader.</summary>
public enum FailoverMode
{
    /// <summary>Stop the leader gracefully and start it again; it rejoins as a follower.</summary>
    RestartLeader,

    /// <summary>Crash the leader (SIGKILL / all memory lost), then start it again.</summary>
    KillLeader,

    /// <summary>Reconfig the leader out (the protocol hands leadership over), then add it back as a participant.</summary>
    HandOff,
}

/// <summary>
/// Takes leadership from the leader that preflight names, measures how long the ensemble had no leader (from the
/// action to the first probe that sees a new leader serving with a quorum), and brings the old leader back. The
/// outcome names the new leader; measurement <c>leaderlessMs</c> holds the time without a leader.
/// </summary>
public sealed class FailoverOperation : EnsembleOperation
{
    private readonly FailoverMode _mode;
    private readonly int? _expectedLeader;
    private int _leader;

    /// <param name="mode">How to remove the leader.</param>
    /// <param name="expectedLeader">The leader the operator confirmed; preflight refuses if another leads now.</param>
    public FailoverOperation(FailoverMode mode, int? expectedLeader = null)
    {
        _mode = mode;
        _expectedLeader = expectedLeader;
    }

    public override OperationKind Kind => OperationKind.Failover;

    public override string Title => _mode switch
    {
        FailoverMode.RestartLeader => "Failover: restart the leader",
        FailoverMode.KillLeader => "Failover: kill the leader",
        _ => "Failover: hand off by reconfig",
    };

    public override IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string>
    {
        ["mode"] = _mode.ToString(),
        ["leader"] = _expectedLeader?.ToString(CultureInfo.InvariantCulture) ?? "current",
    };

    public override Task<PreflightReport> PreflightAsync(OperationTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var (backend, snapshot) = target;
        var checks = new List<PreflightCheck>();
        var capable = _mode == FailoverMode.HandOff ? backend.Capabilities.Reconfigure && backend.Capabilities.ProcessControl : backend.Capabilities.ProcessControl;
        if (!capable)
        {
            checks.Add(PreflightCheck.Error("capability", $"{backend.Name} ({backend.Kind}) does not let the portal {(_mode == FailoverMode.HandOff ? "reconfigure it and restart members" : "stop and start its members")}."));
        }

        if (snapshot.LeaderId is not { } leader || !snapshot.HasQuorum)
        {
            checks.Add(PreflightCheck.Error("leader", $"{backend.Name} has no leader serving with a quorum now; there is nothing to fail over."));
            return Task.FromResult(new PreflightReport(checks, []));
        }

        _leader = leader;
        if (_expectedLeader is { } expected && expected != leader)
        {
            checks.Add(PreflightCheck.Error("leader", $"you confirmed server.{expected} as the leader, but server.{leader} leads now; confirm again."));
        }

        var voters = snapshot.VoterCount - (_mode == FailoverMode.HandOff ? 1 : 0);
        var othersServing = snapshot.ServingVoters - 1;
        var majority = QuorumMath.Majority(_mode == FailoverMode.HandOff ? voters : snapshot.VoterCount);
        if (othersServing < majority)
        {
            checks.Add(PreflightCheck.Error("quorum", $"without server.{leader}, {othersServing} voter{(othersServing == 1 ? string.Empty : "s")} would serve but {majority} are needed: no new leader could be elected. Bring the other voters back first."));
        }

        checks.Add(PreflightCheck.Info("leader", $"server.{leader} leads epoch {snapshot.Epoch}; {othersServing} other voter{(othersServing == 1 ? string.Empty : "s")} serve."));
        return Task.FromResult(new PreflightReport(checks, StepNames(leader)));
    }

    protected internal override async Task<string> ExecuteAsync(OperationContext context)
    {
        var backend = context.Backend;
        var leader = _leader;
        var names = StepNames(leader);
        long removedAt = 0;
        MemberSpec? spec = backend.Configuration.FirstOrDefault(m => m.ServerId == leader);
        await context.StepAsync(names[0], async ct =>
        {
            removedAt = context.Time.GetTimestamp();
            switch (_mode)
            {
                case FailoverMode.RestartLeader:
                    await backend.StopMemberAsync(leader, StopMode.Graceful, ct).ConfigureAwait(false);
                    return "stopped gracefully";
                case FailoverMode.KillLeader:
                    await backend.StopMemberAsync(leader, StopMode.Kill, ct).ConfigureAwait(false);
                    return "killed";
                default:
                    var result = await backend.ReconfigureAsync([], [leader], ct).ConfigureAwait(false);
                    return $"reconfigured out; configuration version {result.ConfigVersion:x}";
            }
        }).ConfigureAwait(false);

        EnsembleSnapshot elected = null!;
        var leaderless = TimeSpan.Zero;
        await context.StepAsync(names[1], async ct =>
        {
            elected = await context.WaitForAsync(s => s.HasQuorum && s.LeaderId is { } l && l != leader, context.ElectionTimeout, $"a new leader after server.{leader}").ConfigureAwait(false);
            leaderless = context.Time.GetElapsedTime(removedAt);
            context.Measure("leaderlessMs", Math.Round(leaderless.TotalMilliseconds, 1));
            return $"server {elected.LeaderId} leads epoch {elected.Epoch} after {leaderless.TotalMilliseconds:0} ms";
        }).ConfigureAwait(false);

        await context.StepAsync(names[2], async ct =>
        {
            if (_mode == FailoverMode.HandOff)
            {
                // Back in as a joiner: its files keep the committed history, which the leader syncs it from.
                await backend.DecommissionMemberAsync(leader, deleteData: false, ct).ConfigureAwait(false);
                var joiner = await backend.ProvisionMemberAsync(spec!, ct).ConfigureAwait(false);
                await backend.StartMemberAsync(leader, ct).ConfigureAwait(false);
                await context.WaitForAsync(s => s.Status(leader) is { IsServing: true }, context.CatchUpTimeout, $"server.{leader} catching up").ConfigureAwait(false);
                await backend.ReconfigureAsync([joiner], [], ct).ConfigureAwait(false);
            }
            else
            {
                await backend.StartMemberAsync(leader, ct).ConfigureAwait(false);
            }

            var back = await context.WaitForAsync(s => s.HasQuorum && s.Status(leader) is { IsServing: true }, context.CatchUpTimeout, $"server.{leader} serving again").ConfigureAwait(false);
            return $"server.{leader} is back as {back.Status(leader)!.State}";
        }).ConfigureAwait(false);

        return $"server {elected.LeaderId} leads epoch {elected.Epoch} (was server {leader}); {leaderless.TotalMilliseconds:0} ms without a leader";
    }

    private static string[] StepNames(int leader) =>
        [$"remove leader server.{leader}", "wait for a new leader", $"bring server.{leader} back"];
}
