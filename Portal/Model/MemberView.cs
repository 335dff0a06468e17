using System.Globalization;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Portal.Model;

/// <summary>How fresh a member's last heartbeat is, in the colours of its card.</summary>
public enum HeartbeatLevel
{
    /// <summary>Not serving, or no heartbeat reported.</summary>
    None,

    /// <summary>Within half the missed-heartbeat threshold.</summary>
    Fresh,

    /// <summary>Older than half the threshold: worth a look.</summary>
    Ageing,

    /// <summary>Past the threshold: the monitor reports it missed.</summary>
    Stale,
}

/// <summary>A member's heartbeat age at its last probe (on the member's own clock) and how it reads.</summary>
public readonly record struct HeartbeatAge(TimeSpan? Age, HeartbeatLevel Level)
{
    /// <summary>
    /// The age of <paramref name="status"/>'s last heartbeat when it was probed, judged against
    /// <paramref name="missedAfter"/> (the monitor's missed-heartbeat threshold for the ensemble).
    /// </summary>
    public static HeartbeatAge Of(MemberStatus status, TimeSpan missedAfter)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (!status.IsServing || status.LastHeartbeat is not { } at)
        {
            return new(null, HeartbeatLevel.None);
        }

        var age = status.ProbedAt - at;
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        var level = age > missedAfter ? HeartbeatLevel.Stale
            : age > missedAfter / 2 ? HeartbeatLevel.Ageing
            : HeartbeatLevel.Fresh;
        return new(age, level);
    }

    /// <summary>"85 ms", "2.4 s", or "—" when there is none.</summary>
    public string Text => Age is { } age ? Durations.Short(age) : "—";

    /// <summary>The CSS class of the level, e.g. <c>qp-hb-fresh</c>.</summary>
    public string CssClass => "qp-hb-" + Level.ToString().ToLowerInvariant();
}

/// <summary>Words and addresses for members, as the cards and the browser tests read them.</summary>
public static class MemberView
{
    /// <summary>The role word of a peer state: leader, follower, observer, looking or down.</summary>
    public static string Role(PeerState state) => state switch
    {
        PeerState.Leading => "leader",
        PeerState.Following => "follower",
        PeerState.Observing => "observer",
        PeerState.Looking => "looking",
        _ => "down",
    };

    /// <summary>Where clients reach the member: <c>host:clientPort</c>, or "in-process" for an embedded member (no ports).</summary>
    public static string Address(MemberSpec? member) =>
        member is null ? "—"
        : member.ClientPort > 0 ? string.Create(CultureInfo.InvariantCulture, $"{member.Host}:{member.ClientPort}")
        : "in-process";
}

/// <summary>Short human durations.</summary>
public static class Durations
{
    /// <summary>"0 ms" to "999 ms", then "1.2 s" to "59.9 s", then "3 min 20 s".</summary>
    public static string Short(TimeSpan span) =>
        span < TimeSpan.FromSeconds(1) ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:0} ms")
        : span < TimeSpan.FromMinutes(1) ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.0} s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes} min {span.Seconds} s");

    /// <summary>Local wall-clock time with milliseconds, e.g. 14:03:07.412.</summary>
    public static string Clock(DateTimeOffset at) => at.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
}

/// <summary>Rates as the cards and charts print them.</summary>
public static class Rates
{
    /// <summary>"—" for none, one decimal below 10, else whole numbers with thousands separators.</summary>
    public static string Text(double? perSecond) =>
        perSecond is { } value ? value.ToString(value < 10 ? "0.#" : "N0", CultureInfo.InvariantCulture) : "—";
}
