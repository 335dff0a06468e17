using System.Globalization;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Operations;

/// <summary>What to add: how many members of which role, or exactly which members (ids and ports).</summary>
public sealed record AddMembersRequest
{
    /// <summary>How many members to add when <see cref="Members"/> is empty. Default 1.</summary>
    public int Count { get; init; } = 1;

    /// <summary>Role of the added members when <see cref="Members"/> is empty. Default participant.</summary>
    public MemberRole Role { get; init; } = MemberRole.Participant;

    /// <summary>Exact members to add (id, role, host, ports; 0 ports are allocated). Overrides <see cref="Count"/> and <see cref="Role"/>.</summary>
    public IReadOnlyList<MemberSpec> Members { get; init; } = [];

    /// <summary>The title to record, e.g. "Expand to 5"; default "Add N participants".</summary>
    public string? Title { get; init; }
}

/// <summary>
/// Adds members one at a time, the safe way ZooKeeper's dynamic reconfiguration asks for: provision the joiner
/// with the committed configuration plus itself, start it, wait until it has caught up with the leader, commit
/// the reconfig that adds it, then verify every voter is synced and the leader is stable before the next. If a
/// step fails, the member being added is removed again (reconfig, stop, delete its directory); members added
/// before it stay, and the error says so.
/// </summary>
public sealed class AddMembersOperation : EnsembleOperation
{
    public const int MaxServerId = 255;

    private readonly AddMembersRequest _request;
    private IReadOnlyList<MemberSpec>? _planned;

    public AddMembersOperation(AddMembersRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        _request = request;
    }

    /// <summary>"Expand to N": participants up to the next odd number of voters (3 → 5, 4 → 5, 1 → 3).</summary>
    public static AddMembersOperation Expand(EnsembleSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var target = NextOddSize(snapshot.VoterCount);
        return new AddMembersOperation(new AddMembersRequest { Count = target - snapshot.VoterCount, Title = $"Expand to {target}" });
    }

    /// <summary>The next odd number of voters above <paramref name="voters"/>: odd sizes tolerate the most failures per member.</summary>
    public static int NextOddSize(int voters) => voters % 2 == 0 ? voters + 1 : voters + 2;

    public override OperationKind Kind => OperationKind.AddMembers;

    public override string Title => _request.Title ?? (_request.Members.Count > 0
        ? $"Add {string.Join(", ", _request.Members.Select(m => $"server.{m.ServerId} ({Role(m.Role)})"))}"
        : $"Add {_request.Count} {Role(_request.Role)}{(_request.Count == 1 ? string.Empty : "s")}");

    public override IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string>
    {
        ["count"] = (_request.Members.Count > 0 ? _request.Members.Count : _request.Count).ToString(CultureInfo.InvariantCulture),
        ["role"] = _request.Members.Count > 0 ? string.Join(",", _request.Members.Select(m => Role(m.Role))) : Role(_request.Role),
        ["members"] = string.Join(" ", (_planned ?? _request.Members).Select(m => m.ToConfigLine())),
    };

    public override Task<PreflightReport> PreflightAsync(OperationTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var (backend, snapshot) = target;
        var checks = MembershipChecks.Start(backend, snapshot);
        if (backend.Kind != BackendKind.Embedded && !backend.Capabilities.ProcessControl)
        {
            checks.Add(PreflightCheck.Error("capability", $"{backend.Name} is attached: the portal cannot start new members there. Start them yourself and add them by reconfig."));
        }

        var joiners = Plan(backend, checks);
        _planned = joiners;

        if (snapshot.Joining.Count > 0)
        {
            checks.Add(PreflightCheck.Error("joining", $"server {string.Join(", ", snapshot.Joining)} is provisioned but not in the configuration; finish or remove it first."));
        }

        var down = backend.Configuration.Where(m => m.IsVoter && snapshot.Status(m.ServerId) is not { IsServing: true }).Select(m => m.ServerId).ToList();
        if (down.Count > 0 && snapshot.HasQuorum)
        {
            checks.Add(PreflightCheck.Warning("voters down", $"voter{(down.Count == 1 ? string.Empty : "s")} {string.Join(", ", down)} not serving now; each added participant raises the majority, so the ensemble tolerates fewer failures until {(down.Count == 1 ? "it is" : "they are")} back."));
        }

        QuorumChange? quorum = null;
        if (joiners.Count > 0)
        {
            quorum = QuorumMath.Analyze(backend.Configuration, [.. backend.Configuration, .. joiners]);
            checks.Add(MembershipChecks.Quorum(quorum));
            if (quorum.AfterIsEven)
            {
                checks.Add(PreflightCheck.Warning("even size", $"{quorum.VotersAfter} voters tolerate {quorum.FailuresToleratedAfter} failure{(quorum.FailuresToleratedAfter == 1 ? string.Empty : "s")}, no more than {quorum.VotersAfter - 1} would; add one more participant for the next failure tolerated."));
            }

            if (joiners.Count(j => j.IsVoter) > 1)
            {
                checks.Add(PreflightCheck.Info("one at a time", "participants join one at a time: each is synced and committed before the next starts."));
            }
        }

        return Task.FromResult(new PreflightReport(checks, [.. joiners.SelectMany(j => StepNames(j.ServerId))], quorum));
    }

    protected internal override async Task<string> ExecuteAsync(OperationContext context)
    {
        var joiners = _planned ?? throw new InvalidOperationException("preflight first");
        var backend = context.Backend;
        var added = new List<int>();
        foreach (var planned in joiners)
        {
            try
            {
                await AddOneAsync(context, planned).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
            {
                throw new OperationFailedException(
                    $"Adding server.{planned.ServerId} failed: {ex.Message}" +
                    (added.Count > 0 ? $" Server {string.Join(", ", added)} {(added.Count == 1 ? "was" : "were")} added before and stay{(added.Count == 1 ? "s" : string.Empty)}." : string.Empty),
                    ex);
            }

            added.Add(planned.ServerId);

            // This joiner is in for good: a later failure must not remove it.
            context.CommitUndo();
        }

        var final = await backend.ProbeSnapshotAsync(context.Time, context.CancellationToken).ConfigureAwait(false);
        return $"{backend.Name} has {final.VoterCount} voters{Observers(backend)}, server {Leader(final)} leads epoch {final.Epoch}; added server {string.Join(", ", added)}.";
    }

    private async Task AddOneAsync(OperationContext context, MemberSpec planned)
    {
        var backend = context.Backend;
        var id = planned.ServerId;
        var (provision, start, catchUp, reconfig, verify) = Names(id);
        MemberSpec joiner = planned;
        await context.StepAsync(provision, async ct =>
        {
            joiner = await backend.ProvisionMemberAsync(planned, ct).ConfigureAwait(false);
            context.OnFailureUndo($"remove server.{id}", undo => RemoveAsync(backend, id, undo));
            return joiner.ToConfigLine();
        }).ConfigureAwait(false);

        await context.StepAsync(start, async ct =>
        {
            await backend.StartMemberAsync(id, ct).ConfigureAwait(false);
            return null;
        }).ConfigureAwait(false);

        await context.StepAsync(catchUp, async (progress, ct) =>
        {
            progress("waiting for the joiner to sync with the leader");
            var synced = await context.WaitForAsync(s => s.Status(id) is { IsServing: true }, context.CatchUpTimeout, $"server.{id} catching up with the leader").ConfigureAwait(false);
            return $"synced at zxid {Zxid.ToHex(synced.Status(id)!.LastZxid)}";
        }).ConfigureAwait(false);

        await context.StepAsync(reconfig, async ct =>
        {
            var result = await backend.ReconfigureAsync([joiner], [], ct).ConfigureAwait(false);
            return $"configuration version {result.ConfigVersion:x}: {result.Members.Count} members";
        }).ConfigureAwait(false);

        await context.StepAsync(verify, async (progress, ct) =>
        {
            progress("waiting for every voter to serve under one leader");
            var voters = backend.Configuration.Count(m => m.IsVoter);
            var first = await context.WaitForAsync(
                s => s.HasQuorum && s.VoterCount == voters && s.Status(id) is { IsServing: true } && s.ServingVoters == AvailableVoters(backend, s),
                context.CatchUpTimeout,
                $"server.{id} serving in the new configuration").ConfigureAwait(false);

            // Stable: the same leader on a second, later probe.
            var second = await context.WaitForAsync(s => s.TakenAt > first.TakenAt && s.HasQuorum, context.ElectionTimeout, "a second probe with a leader").ConfigureAwait(false);
            if (second.LeaderId != first.LeaderId)
            {
                throw new OperationFailedException($"the leader changed from server {first.LeaderId} to {second.LeaderId} right after the reconfig; check the ensemble's events.");
            }

            return $"{second.ServingVoters} of {second.VoterCount} voters serving, server {second.LeaderId} leads";
        }).ConfigureAwait(false);
    }

    // Voters that were serving before the operation, plus joiners: the ones that should be serving now.
    private static int AvailableVoters(IEnsembleBackend backend, EnsembleSnapshot snapshot) =>
        backend.Configuration.Count(m => m.IsVoter && snapshot.Status(m.ServerId) is { State: not PeerState.Down });

    private static async Task RemoveAsync(IEnsembleBackend backend, int id, CancellationToken cancellationToken)
    {
        if (backend.Configuration.Any(m => m.ServerId == id))
        {
            await backend.ReconfigureAsync([], [id], cancellationToken).ConfigureAwait(false);
        }

        if (backend.Members.Any(m => m.ServerId == id))
        {
            await backend.DecommissionMemberAsync(id, deleteData: true, cancellationToken).ConfigureAwait(false);
        }
    }

    private List<MemberSpec> Plan(IEnsembleBackend backend, List<PreflightCheck> checks)
    {
        List<MemberSpec> joiners;
        if (_request.Members.Count > 0)
        {
            joiners = [.. _request.Members];
        }
        else if (_request.Count is < 1 or > 16)
        {
            checks.Add(PreflightCheck.Error("count", $"add between 1 and 16 members at once (asked for {_request.Count})."));
            return [];
        }
        else
        {
            var used = backend.Members.Select(m => m.ServerId).ToHashSet();
            var next = used.Count == 0 ? 1 : used.Max() + 1;
            joiners = [];
            for (var i = 0; i < _request.Count; i++, next++)
            {
                joiners.Add(new MemberSpec { ServerId = next, Role = _request.Role });
            }
        }

        foreach (var joiner in joiners.Where(j => j.ServerId > MaxServerId || j.ServerId < 1))
        {
            checks.Add(PreflightCheck.Error($"server.{joiner.ServerId}", $"server ids run from 1 to {MaxServerId}; server.{joiner.ServerId} is out of range."));
        }

        foreach (var joiner in joiners.Where(j => backend.Members.Any(m => m.ServerId == j.ServerId)))
        {
            checks.Add(PreflightCheck.Error($"server.{joiner.ServerId}", $"server id {joiner.ServerId} is already used in {backend.Name}."));
        }

        // Every other rule (duplicate ids among the joiners, port clashes with members or each other) is the spec's.
        var combined = new EnsembleSpec { Name = backend.Name, Backend = backend.Kind, Members = [.. backend.Members.Where(m => joiners.All(j => j.ServerId != m.ServerId)), .. joiners], Settings = backend.Settings };
        foreach (var error in combined.Validate())
        {
            checks.Add(PreflightCheck.Error(error.Field, $"{error.Field}: {error.Rule}."));
        }

        if (backend.Kind == BackendKind.LocalZooKeeper)
        {
            foreach (var (joiner, kind, port) in joiners.SelectMany(j => new[] { (j, "quorum", j.QuorumPort), (j, "election", j.ElectionPort), (j, "client", j.ClientPort) }).Where(p => p.Item3 != 0))
            {
                if (!PortCheck.IsFree(joiner.Host, port))
                {
                    checks.Add(PreflightCheck.Error($"server.{joiner.ServerId}", $"{kind} port {port} on {joiner.Host} is in use by another process."));
                }
            }
        }

        return joiners;
    }

    private static IEnumerable<string> StepNames(int id)
    {
        var (a, b, c, d, e) = Names(id);
        return [a, b, c, d, e];
    }

    private static (string Provision, string Start, string CatchUp, string Reconfig, string Verify) Names(int id) =>
        ($"server.{id}: provision", $"server.{id}: start", $"server.{id}: catch up", $"server.{id}: reconfig add", $"server.{id}: verify synced, leader stable");

    private static string Role(MemberRole role) => role == MemberRole.Participant ? "participant" : "observer";

    private static string Leader(EnsembleSnapshot snapshot) => snapshot.LeaderId?.ToString(CultureInfo.InvariantCulture) ?? "none";

    private static string Observers(IEnsembleBackend backend)
    {
        var observers = backend.Configuration.Count(m => !m.IsVoter);
        return observers == 0 ? string.Empty : $" and {observers} observer{(observers == 1 ? string.Empty : "s")}";
    }
}
