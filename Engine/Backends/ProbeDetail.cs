namespace QuorumPortal.Engine.Backends;

/// <summary>What a probe reads beyond the status the monitor needs every round.</summary>
[Flags]
public enum ProbeDetail
{
    /// <summary>The status alone, as every monitor round reads it.</summary>
    None = 0,

    /// <summary>
    /// Also the member's client connections (<see cref="Ensembles.MemberStatus.Clients"/>): ZooKeeper's <c>cons</c> or
    /// the AdminServer's <c>connections</c>. Its answer grows with the clients (~200 bytes each), so only a page that
    /// shows them asks, while it shows them.
    /// </summary>
    Clients = 1,
}
