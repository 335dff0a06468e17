using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Tests.Operations;

/// <summary>
/// A real backend with one fault switched on: its reconfigs fail the way ZooKeeper refuses one, before anything
/// changes. Everything else passes through. Disposing it leaves the inner backend to its owner.
/// </summary>
internal sealed class FaultyBackend(IEnsembleBackend inner) : IEnsembleBackend
{
    /// <summary>When set, reconfigs fail with this message.</summary>
    public string? FailReconfigure { get; init; }

    /// <summary>When set, only a reconfig that adds this server id fails.</summary>
    public int? FailReconfigureFor { get; init; }

    public string Name => inner.Name;

    public BackendKind Kind => inner.Kind;

    public BackendCapabilities Capabilities => inner.Capabilities;

    public IReadOnlyList<MemberSpec> Members => inner.Members;

    public IReadOnlyList<MemberSpec> Configuration => inner.Configuration;

    public EnsembleSettings Settings => inner.Settings;

    public Task StartAsync(CancellationToken cancellationToken) => inner.StartAsync(cancellationToken);

    public Task StopAsync(StopMode mode, CancellationToken cancellationToken) => inner.StopAsync(mode, cancellationToken);

    public Task StartMemberAsync(int serverId, CancellationToken cancellationToken) => inner.StartMemberAsync(serverId, cancellationToken);

    public Task StopMemberAsync(int serverId, StopMode mode, CancellationToken cancellationToken) => inner.StopMemberAsync(serverId, mode, cancellationToken);

    public Task<MemberStatus> ProbeAsync(int serverId, ProbeDetail detail, CancellationToken cancellationToken) => inner.ProbeAsync(serverId, detail, cancellationToken);

    public Task<MemberSpec> ProvisionMemberAsync(MemberSpec member, CancellationToken cancellationToken) => inner.ProvisionMemberAsync(member, cancellationToken);

    public Task DecommissionMemberAsync(int serverId, bool deleteData, CancellationToken cancellationToken) => inner.DecommissionMemberAsync(serverId, deleteData, cancellationToken);

    public Task<ReconfigResult> ReconfigureAsync(IReadOnlyList<MemberSpec> joining, IReadOnlyList<int> leaving, CancellationToken cancellationToken)
    {
        var fails = FailReconfigure is not null && joining.Count > 0 && (FailReconfigureFor is not { } id || joining.Any(j => j.ServerId == id));
        return fails
            ? Task.FromException<ReconfigResult>(new CoordinationException(CoordinationError.NewConfigNoQuorum, detail: FailReconfigure))
            : inner.ReconfigureAsync(joining, leaving, cancellationToken);
    }

    public Task ApplySettingsAsync(EnsembleSettings settings, CancellationToken cancellationToken) => inner.ApplySettingsAsync(settings, cancellationToken);

    public Task<ICoordinationClient> OpenClientAsync(ClientOptions options, CancellationToken cancellationToken) => inner.OpenClientAsync(options, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
