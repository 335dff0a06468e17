namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>
/// The DOM hooks browser tests and benchmarks read, as agreed with the dashboard: each member card or row has
/// <c>data-server-id</c> and <c>data-role</c> (leader, follower, observer, looking, down); the ensemble's root has
/// <c>data-ensemble</c>; the current leader is in an element with <c>data-leader-id</c> (empty when none).
/// Only these hooks are used, never classes or text, so the page can be restyled freely. Also compiled into Benchmarks.
/// </summary>
public static class DashboardDom
{
    /// <summary>
    /// The page that shows one ensemble's members. Today the overview at <c>/</c> has them; the ensemble page will
    /// be <c>/ensembles/{name}</c>, and switching to it is this one line.
    /// </summary>
    public const string EnsembleRoute = "/ensembles/{name}";

    public static string EnsemblePage(string ensemble) => EnsembleRoute.Replace("{name}", Uri.EscapeDataString(ensemble), StringComparison.Ordinal);

    public static string Ensemble(string ensemble) => $"[data-ensemble=\"{ensemble}\"]";

    public static string Members(string ensemble) => $"{Ensemble(ensemble)} [data-server-id]";

    public static string Member(string ensemble, int serverId) => $"{Ensemble(ensemble)} [data-server-id=\"{serverId}\"]";

    /// <summary>
    /// A page function of <c>[ensemble, excluded, serving]</c>: the leader's id when the page shows exactly one member
    /// with role leader, the leader marker names that member, it is not <c>excluded</c> (may be null), and at least
    /// <c>serving</c> members are leader or follower; else null.
    /// </summary>
    public const string SingleLeaderScript = """
        ([ensemble, excluded, serving]) => {
          const root = document.querySelector(`[data-ensemble="${ensemble}"]`);
          if (!root) return null;
          const id = root.querySelector('[data-leader-id]')?.getAttribute('data-leader-id');
          const roles = [...root.querySelectorAll('[data-server-id]')].map(m => [m.getAttribute('data-server-id'), m.getAttribute('data-role')]);
          const leaders = roles.filter(([, role]) => role === 'leader');
          const up = roles.filter(([, role]) => role === 'leader' || role === 'follower').length;
          if (!id || leaders.length !== 1 || leaders[0][0] !== id || up < serving) return null;
          return excluded !== null && id === String(excluded) ? null : Number(id);
        }
        """;
}
