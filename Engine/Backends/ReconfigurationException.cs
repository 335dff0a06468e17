using System.Globalization;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Backends;

/// <summary>Options for one membership change.</summary>
public sealed record ReconfigOptions
{
    public static ReconfigOptions Default { get; } = new();

    /// <summary>
    /// When the change fails, leave its joiners running (provisioned, not in the configuration) for a retry, instead of
    /// stopping and decommissioning them. Default false.
    /// </summary>
    public bool KeepJoinersOnFailure { get; init; }

    /// <summary>
    /// The configuration version the change was planned against (what the operator saw); when the committed version
    /// differs, the change is refused with <see cref="CoordinationError.BadVersion"/>. Null: the current version.
    /// </summary>
    public long? ExpectedConfigVersion { get; init; }
}

/// <summary>What became of the joiners of a failed membership change.</summary>
public enum JoinerOutcome
{
    /// <summary>The change had no joiners.</summary>
    None,

    /// <summary>Stopped and decommissioned: nothing of them is left.</summary>
    RolledBack,

    /// <summary>Left running outside the configuration, as the caller asked, to retry the change.</summary>
    LeftRunning,

    /// <summary>Left as they were because the change may have been applied (its outcome is unknown).</summary>
    LeftAsIs,
}

/// <summary>
/// A membership change failed or was refused. The message is written for an operator and shown verbatim: what
/// happened, what state the ensemble is in now, what to do.
/// </summary>
public sealed class ReconfigurationException : InvalidOperationException
{
    private ReconfigurationException(string message, Exception? inner) : base(message, inner)
    {
    }

    /// <summary>ZooKeeper's code when a member refused the change; null when it failed before reaching ZooKeeper.</summary>
    public CoordinationError? Error { get; private init; }

    /// <summary>Whether the change may have been applied after all (the connection was lost while it was sent).</summary>
    public bool OutcomeUnknown { get; private init; }

    /// <summary>The joiners of the failed change.</summary>
    public IReadOnlyList<int> Joiners { get; private init; } = [];

    public JoinerOutcome JoinerOutcome { get; private init; }

    /// <summary>The committed configuration as read after the failure, when it could be read.</summary>
    public long? ConfigVersion { get; private init; }

    /// <summary>The committed members as read after the failure, when they could be read.</summary>
    public IReadOnlyList<MemberSpec>? Configuration { get; private init; }

    /// <summary>A member refused the change with <paramref name="error"/>; nothing of it was applied.</summary>
    public static ReconfigurationException Refused(
        string ensemble, CoordinationError error, string? detail, long? expectedVersion,
        (long Version, IReadOnlyList<MemberSpec> Members)? now, IReadOnlyList<int> joiners, JoinerOutcome outcome, Exception? inner = null)
    {
        var (what, todo) = error switch
        {
            CoordinationError.ReconfigInProgress => (
                // ZooKeeper orders this answer after the change in flight, so by now that change is settled.
                "another membership change was being committed when this one arrived (ReconfigInProgress)",
                "Look at the membership as it is now, with that other change in it, then retry if this change is still needed."),
            CoordinationError.NewConfigNoQuorum => (
                "fewer than a majority of the participants of the new configuration are running and synced with the leader (NewConfigNoQuorum)",
                "Start the members that are down or wait until they follow the leader, or change fewer members at once, then retry."),
            CoordinationError.BadVersion => (
                $"the membership changed since it was read{(expectedVersion is long v ? $" (the change was planned against version {Hex(v)})" : string.Empty)}; someone else changed it meanwhile (BadVersion)",
                "Look at the current membership and plan the change again from it."),
            CoordinationError.NoAuth => (
                "the credentials may not change /zookeeper/config (NoAuth)",
                "Use the super user's digest credentials (or an ACL that grants WRITE on /zookeeper/config)."),
            CoordinationError.ReconfigDisabled => (
                "dynamic reconfiguration is disabled on the ensemble (ReconfigDisabled)",
                "Set reconfigEnabled=true in every member's zoo.cfg and restart them one at a time."),
            _ => (
                $"a member refused it: {error}{(detail is null ? string.Empty : $" ({detail})")}",
                "Correct the request and retry."),
        };
        return new ReconfigurationException(
            $"{ensemble}: the membership change was refused: {what}. Nothing of it was applied; {State(now)}. {JoinerState(joiners, outcome)}{todo}", inner)
        {
            Error = error,
            Joiners = joiners,
            JoinerOutcome = outcome,
            ConfigVersion = now?.Version,
            Configuration = now?.Members,
        };
    }

    /// <summary>A joiner did not sync with the leader in time; the change was not sent.</summary>
    /// <param name="log">Where its log is, while its directory is kept.</param>
    /// <param name="lastWarning">The last warning its log held, kept for when its directory is gone.</param>
    public static ReconfigurationException NotSynced(
        string ensemble, int serverId, TimeSpan waited, string state, string? log, string? lastWarning, IReadOnlyList<int> joiners, JoinerOutcome outcome) =>
        new(
            $"{ensemble}: server.{serverId} did not sync with the leader within {waited.TotalSeconds:0.#} s (it is {state}), so it was not added. " +
            $"Nothing was changed in the configuration. {JoinerState(joiners, outcome)}" +
            $"Check that it can reach the leader's quorum port and the members' election ports{(log is null ? string.Empty : $" (its log: {log})")}, then provision and add it again." +
            (lastWarning is null ? string.Empty : $" Its log's last warning: {lastWarning}"),
            null)
        {
            Joiners = joiners,
            JoinerOutcome = outcome,
        };

    /// <summary>The change was sent but no answer came back, and the configuration could not be read to tell whether it applied.</summary>
    public static ReconfigurationException Unknown(string ensemble, Exception cause, IReadOnlyList<int> joiners) =>
        new(
            $"{ensemble}: the membership change was sent but its outcome is unknown: {cause.Message}. It may or may not have been applied. " +
            (joiners.Count == 0 ? string.Empty : $"{Servers(joiners)} {(joiners.Count == 1 ? "is" : "are")} left as {(joiners.Count == 1 ? "it is" : "they are")}, since the change may include {(joiners.Count == 1 ? "it" : "them")}. ") +
            "Wait until the ensemble serves again, read its configuration, and retry or decommission the joiners accordingly.",
            cause)
        {
            OutcomeUnknown = true,
            Joiners = joiners,
            JoinerOutcome = joiners.Count == 0 ? JoinerOutcome.None : JoinerOutcome.LeftAsIs,
        };

    /// <summary>No member that stays could be reached, so the change was never sent.</summary>
    public static ReconfigurationException Unreachable(string ensemble, Exception cause, IReadOnlyList<int> joiners, JoinerOutcome outcome) =>
        new(
            $"{ensemble}: no member that stays in the configuration could be reached to send the membership change ({cause.Message}). " +
            $"Nothing was applied. {JoinerState(joiners, outcome)}Make sure a quorum of the members is running and serving, then retry.",
            cause)
        {
            Error = (cause as CoordinationException)?.Error,
            Joiners = joiners,
            JoinerOutcome = outcome,
        };

    private static string State((long Version, IReadOnlyList<MemberSpec> Members)? now) =>
        now is not { } c
            ? "the committed configuration could not be read back"
            : $"the committed configuration is version {Hex(c.Version)} with participants {Ids(c.Members.Where(m => m.IsVoter))}" +
              (c.Members.Any(m => !m.IsVoter) ? $" and observers {Ids(c.Members.Where(m => !m.IsVoter))}" : string.Empty);

    private static string JoinerState(IReadOnlyList<int> joiners, JoinerOutcome outcome) => outcome switch
    {
        JoinerOutcome.RolledBack => $"The joiner{(joiners.Count == 1 ? string.Empty : "s")} {Servers(joiners)} {(joiners.Count == 1 ? "was" : "were")} stopped and decommissioned. ",
        JoinerOutcome.LeftRunning => $"The joiner{(joiners.Count == 1 ? string.Empty : "s")} {Servers(joiners)} {(joiners.Count == 1 ? "is" : "are")} left running outside the configuration for you to retry; decommission {(joiners.Count == 1 ? "it" : "them")} if you give up. ",
        _ => string.Empty,
    };

    private static string Servers(IEnumerable<int> ids) => string.Join(", ", ids.Select(id => "server." + id.ToString(CultureInfo.InvariantCulture)));

    private static string Ids(IEnumerable<MemberSpec> members) => string.Join(",", members.Select(m => m.ServerId.ToString(CultureInfo.InvariantCulture)));

    private static string Hex(long version) => version.ToString("x", CultureInfo.InvariantCulture);
}
