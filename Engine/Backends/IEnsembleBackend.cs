using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Backends;

/// <summary>How to stop a member.</summary>
public enum StopMode
{
    /// <summary>Close connections and flush; the member says goodbye.</summary>
    Graceful,

    /// <summary>Crash: all memory is lost at once, peers see the connections reset.</summary>
    Kill,
}

/// <summary>What a backend can do; the UI greys out what it cannot.</summary>
public sealed record BackendCapabilities(bool ProcessControl, bool Reconfigure, bool ApplySettings, bool FaultInjection);

/// <summary>Options for a coordination client session.</summary>
public sealed record ClientOptions
{
    /// <summary>Members to connect to, tried in order; empty means all members.</summary>
    public IReadOnlyList<int> ServerIds { get; init; } = [];

    /// <summary>Requested session timeout. Default 10 s (the member clamps it to its min/max).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a request may wait for an answer before it fails with connection loss. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>The outcome of a committed membership change.</summary>
public sealed record ReconfigResult(long ConfigVersion, IReadOnlyList<MemberSpec> Members);

/// <summary>
/// One ensemble on one backend. Every method is safe to call from any thread. Membership changes follow
/// ZooKeeper's dynamic reconfiguration: a joiner is provisioned and started first, then added.
/// </summary>
public interface IEnsembleBackend : IAsyncDisposable
{
    string Name { get; }

    BackendKind Kind { get; }

    BackendCapabilities Capabilities { get; }

    /// <summary>The members as the backend knows them now (committed configuration plus provisioned joiners).</summary>
    IReadOnlyList<MemberSpec> Members { get; }

    /// <summary>The committed configuration: the members quorums are counted in (no joiners).</summary>
    IReadOnlyList<MemberSpec> Configuration => Members;

    EnsembleSettings Settings { get; }

    /// <summary>Starts every member that is not running.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops every member.</summary>
    Task StopAsync(StopMode mode, CancellationToken cancellationToken);

    Task StartMemberAsync(int serverId, CancellationToken cancellationToken);

    Task StopMemberAsync(int serverId, StopMode mode, CancellationToken cancellationToken);

    /// <summary>Probes one member; a member that does not answer is reported <see cref="PeerState.Down"/>, not thrown.</summary>
    Task<MemberStatus> ProbeAsync(int serverId, CancellationToken cancellationToken) => ProbeAsync(serverId, ProbeDetail.None, cancellationToken);

    /// <summary>
    /// Probes one member and reads <paramref name="detail"/> too. A backend that cannot list client connections leaves
    /// <see cref="MemberStatus.Clients"/> null and says so in <see cref="MemberStatus.ClientsError"/>.
    /// </summary>
    Task<MemberStatus> ProbeAsync(int serverId, ProbeDetail detail, CancellationToken cancellationToken);

    /// <summary>Creates a joining member (data directory, configuration) without adding it to the ensemble.</summary>
    Task<MemberSpec> ProvisionMemberAsync(MemberSpec member, CancellationToken cancellationToken);

    /// <summary>Forgets a member that is not in the configuration, deleting its data when asked.</summary>
    Task DecommissionMemberAsync(int serverId, bool deleteData, CancellationToken cancellationToken);

    /// <summary>Commits a membership change: adds running joiners, removes leavers.</summary>
    /// <exception cref="ReconfigurationException">refused or failed; its message says what state the ensemble is in and what to do.</exception>
    Task<ReconfigResult> ReconfigureAsync(IReadOnlyList<MemberSpec> joining, IReadOnlyList<int> leaving, CancellationToken cancellationToken);

    /// <summary>
    /// Commits a membership change with <paramref name="options"/>. When it fails, its joiners are stopped and
    /// decommissioned unless <see cref="ReconfigOptions.KeepJoinersOnFailure"/> (or the outcome is unknown).
    /// </summary>
    /// <exception cref="ReconfigurationException">refused or failed; its message says what state the ensemble is in and what to do.</exception>
    Task<ReconfigResult> ReconfigureAsync(IReadOnlyList<MemberSpec> joining, IReadOnlyList<int> leaving, ReconfigOptions options, CancellationToken cancellationToken) =>
        options == ReconfigOptions.Default
            ? ReconfigureAsync(joining, leaving, cancellationToken)
            : throw new NotSupportedException($"the {Kind} backend takes no reconfiguration options");

    /// <summary>Records new settings; members pick them up when they next start (a rolling restart applies them).</summary>
    Task ApplySettingsAsync(EnsembleSettings settings, CancellationToken cancellationToken);

    Task<ICoordinationClient> OpenClientAsync(ClientOptions options, CancellationToken cancellationToken);
}
