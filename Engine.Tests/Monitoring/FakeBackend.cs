using System.Collections.Concurrent;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Tests.Testing;

namespace QuorumPortal.Engine.Tests.Monitoring;

/// <summary>A backend whose members report whatever the test scripts; it only probes.</summary>
internal sealed class FakeBackend : IEnsembleBackend
{
    private readonly ManualTimeProvider _time;
    private readonly ConcurrentDictionary<int, MemberStatus> _statuses = new();
    private readonly ConcurrentDictionary<int, Exception> _failures = new();
    private volatile IReadOnlyList<MemberSpec> _members;

    public FakeBackend(string name, ManualTimeProvider time, int size)
    {
        Name = name;
        _time = time;
        _members = Enumerable.Range(1, size).Select(id => new MemberSpec { ServerId = id }).ToArray();
        foreach (var member in _members)
        {
            _statuses[member.ServerId] = new MemberStatus { ServerId = member.ServerId, ProbedAt = time.GetUtcNow() };
        }
    }

    public string Name { get; }

    public BackendKind Kind => BackendKind.Embedded;

    public BackendCapabilities Capabilities { get; } = new(false, false, false, false);

    public IReadOnlyList<MemberSpec> Members
    {
        get => MembersThrows is { } ex ? throw ex : _members;
        set => _members = value;
    }

    /// <summary>When set, reading <see cref="Members"/> throws it (a backend in trouble).</summary>
    public Exception? MembersThrows { get; set; }

    public EnsembleSettings Settings { get; set; } = EnsembleSettings.Fast;

    public int Probes;

    /// <summary>Leader <paramref name="leader"/> in <paramref name="epoch"/>, every other member following it.</summary>
    public void Healthy(int leader, long epoch)
    {
        foreach (var member in _members)
        {
            Update(member.ServerId, s => s with
            {
                State = member.ServerId == leader ? PeerState.Leading : member.IsVoter ? PeerState.Following : PeerState.Observing,
                Role = member.Role,
                LeaderId = leader,
                Epoch = epoch,
                Error = null,
            });
        }
    }

    public void Set(int serverId, PeerState state, long? epoch = null) =>
        Update(serverId, s => s with { State = state, Epoch = epoch ?? s.Epoch, LeaderId = state == PeerState.Leading ? serverId : s.LeaderId });

    public void Update(int serverId, Func<MemberStatus, MemberStatus> change) =>
        _statuses.AddOrUpdate(serverId, id => change(new MemberStatus { ServerId = id, ProbedAt = _time.GetUtcNow() }), (_, s) => change(s));

    public void FailProbes(int serverId, Exception? failure)
    {
        if (failure is null)
        {
            _failures.TryRemove(serverId, out _);
        }
        else
        {
            _failures[serverId] = failure;
        }
    }

    /// <summary>Probes of these members never answer until cancelled; the cancellation is recorded.</summary>
    public ConcurrentDictionary<int, bool> Hung { get; } = new();

    /// <remarks>Lists no client connections: with <see cref="ProbeDetail.Clients"/> the status carries no list either.</remarks>
    public Task<MemberStatus> ProbeAsync(int serverId, ProbeDetail detail, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Probes);
        if (Hung.ContainsKey(serverId))
        {
            var answer = new TaskCompletionSource<MemberStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
            cancellationToken.Register(() =>
            {
                Hung[serverId] = true;
                answer.TrySetCanceled(cancellationToken);
            });
            return answer.Task;
        }

        if (_failures.TryGetValue(serverId, out var failure))
        {
            throw failure; // synchronously, the rudest way a probe can fail
        }

        var status = _statuses.GetOrAdd(serverId, id => new MemberStatus { ServerId = id, ProbedAt = _time.GetUtcNow() });
        return Task.FromResult(status with { ProbedAt = _time.GetUtcNow() });
    }

    public Task StartAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task StopAsync(StopMode mode, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task StartMemberAsync(int serverId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task StopMemberAsync(int serverId, StopMode mode, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<MemberSpec> ProvisionMemberAsync(MemberSpec member, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task DecommissionMemberAsync(int serverId, bool deleteData, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ReconfigResult> ReconfigureAsync(IReadOnlyList<MemberSpec> joining, IReadOnlyList<int> leaving, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task ApplySettingsAsync(EnsembleSettings settings, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ICoordinationClient> OpenClientAsync(ClientOptions options, CancellationToken cancellationToken) => throw new NotSupportedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
