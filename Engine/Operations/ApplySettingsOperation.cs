using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Operations;

/// <summary>
/// Applies new settings by rolling restart: the settings are recorded, then each member is restarted gracefully —
/// followers and observers first, the leader last — and must be back and synced before the next goes down. Before
/// each voter goes down the operation checks the quorum margin and stops if a restart would take it below a
/// majority. On failure the previous settings are recorded again and the members already restarted are restarted
/// on them.
/// </summary>
public sealed class ApplySettingsOperation : EnsembleOperation
{
    private readonly EnsembleSettings _settings;
    private readonly string? _versionLabel;
    private IReadOnlyList<SettingChange> _changes = [];
    private List<int>? _order;

    /// <param name="settings">The settings to apply.</param>
    /// <param name="versionLabel">How the caller names this version (e.g. "v7"), for the title.</param>
    public ApplySettingsOperation(EnsembleSettings settings, string? versionLabel = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _versionLabel = versionLabel;
    }

    public override OperationKind Kind => OperationKind.ApplySettings;

    public override string Title => _versionLabel is null ? "Apply settings" : $"Apply settings {_versionLabel}";

    public override IReadOnlyDictionary<string, string> Parameters =>
        SettingsDiff.Describe(_settings).Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!);

    /// <summary>What differs from the ensemble's settings (after a preflight).</summary>
    public IReadOnlyList<SettingChange> Changes => _changes;

    public override Task<PreflightReport> PreflightAsync(OperationTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var (backend, snapshot) = target;
        var checks = new List<PreflightCheck>();
        if (!backend.Capabilities.ApplySettings || !backend.Capabilities.ProcessControl)
        {
            checks.Add(PreflightCheck.Error("capability", $"{backend.Name} ({backend.Kind}) does not let the portal change settings or restart its members."));
        }

        checks.AddRange(_settings.Validate().Select(e => PreflightCheck.Error(e.Field, $"{e.Field} {e.Rule}.")));
        _changes = SettingsDiff.Between(backend.Settings, _settings);
        if (_changes.Count == 0)
        {
            checks.Add(PreflightCheck.Error("changes", "these settings are the ones the ensemble runs with: nothing to apply."));
        }

        checks.AddRange(_changes.Select(c => PreflightCheck.Info(c.Name, c.ToString())));

        // One voter at a time goes down: the others must still be a majority.
        var voters = backend.Configuration.Where(m => m.IsVoter).Select(m => m.ServerId).ToList();
        var majority = QuorumMath.Majority(voters.Count);
        if (!snapshot.HasQuorum)
        {
            checks.Add(PreflightCheck.Error("quorum", $"{backend.Name} has no quorum now ({snapshot.ServingVoters} of {voters.Count} voters serving); restore it before a rolling restart."));
        }
        else if (voters.Count > 1 && snapshot.ServingVoters - 1 < majority)
        {
            var down = voters.Where(id => snapshot.Status(id) is not { IsServing: true });
            checks.Add(PreflightCheck.Error("quorum margin", $"restarting any voter would leave {snapshot.ServingVoters - 1} of {voters.Count} serving, below the majority of {majority}: server {string.Join(", ", down)} must be back first."));
        }
        else if (voters.Count == 1)
        {
            checks.Add(PreflightCheck.Warning("single voter", $"{backend.Name} has one voter: it is unavailable while it restarts."));
        }

        // Members that are down now are started with the new settings when they come back; only running ones restart.
        var running = backend.Members.Where(m => snapshot.Status(m.ServerId) is { State: not PeerState.Down }).Select(m => m.ServerId).ToList();
        _order = [.. running.OrderBy(id => id == snapshot.LeaderId ? 1 : 0).ThenBy(id => id)];
        if (snapshot.LeaderId is { } leader)
        {
            checks.Add(PreflightCheck.Info("order", $"restart order: {string.Join(", ", _order.Select(id => id == leader ? $"server.{id} (leader, last)" : $"server.{id}"))}."));
        }

        return Task.FromResult(new PreflightReport(checks, ["record settings", .. _order.Select(RestartStep)]));
    }

    protected internal override async Task<string> ExecuteAsync(OperationContext context)
    {
        var order = _order ?? throw new InvalidOperationException("preflight first");
        var backend = context.Backend;
        var previous = backend.Settings;
        var restarted = new List<int>();
        await context.StepAsync("record settings", async ct =>
        {
            await backend.ApplySettingsAsync(_settings, ct).ConfigureAwait(false);
            context.OnFailureUndo("previous settings on restarted members", async undo =>
            {
                await backend.ApplySettingsAsync(previous, undo).ConfigureAwait(false);
                foreach (var id in restarted)
                {
                    var now = await backend.ProbeSnapshotAsync(context.Time, undo).ConfigureAwait(false);
                    await RestartAsync(context, id, now.ServingVoters, undo).ConfigureAwait(false);
                }
            });
            return string.Join("; ", _changes);
        }).ConfigureAwait(false);

        foreach (var id in order)
        {
            await context.StepAsync(RestartStep(id), async (progress, ct) =>
            {
                var before = await backend.ProbeSnapshotAsync(context.Time, ct).ConfigureAwait(false);
                var isVoter = backend.Configuration.Any(m => m.ServerId == id && m.IsVoter);
                var majority = QuorumMath.Majority(before.VoterCount);
                if (isVoter && before.VoterCount > 1 && before.ServingVoters - 1 < majority)
                {
                    throw new OperationFailedException($"stopped before restarting server.{id}: {before.ServingVoters} of {before.VoterCount} voters serve, and restarting it would leave fewer than the majority of {majority}.");
                }

                progress("restarting");
                var back = await RestartAsync(context, id, before.ServingVoters, ct).ConfigureAwait(false);
                restarted.Add(id);
                return $"back as {back.Status(id)!.State}, server {back.LeaderId} leads";
            }).ConfigureAwait(false);
        }

        var final = await backend.ProbeSnapshotAsync(context.Time, context.CancellationToken).ConfigureAwait(false);
        return $"{_changes.Count} setting{(_changes.Count == 1 ? string.Empty : "s")} applied to {restarted.Count} member{(restarted.Count == 1 ? string.Empty : "s")}; server {final.LeaderId} leads epoch {final.Epoch}.";
    }

    /// <summary>Restarts one member and waits until it serves and as many voters serve as before, so the next check sees the whole ensemble.</summary>
    private static async Task<EnsembleSnapshot> RestartAsync(OperationContext context, int id, int servingBefore, CancellationToken cancellationToken)
    {
        await context.Backend.StopMemberAsync(id, StopMode.Graceful, cancellationToken).ConfigureAwait(false);
        await context.Backend.StartMemberAsync(id, cancellationToken).ConfigureAwait(false);
        return await context.WaitForAsync(
            s => s.HasQuorum && s.Status(id) is { IsServing: true } && s.ServingVoters >= servingBefore,
            context.CatchUpTimeout,
            $"server.{id} back and synced, {servingBefore} voters serving").ConfigureAwait(false);
    }

    private static string RestartStep(int id) => $"restart server.{id}";
}
