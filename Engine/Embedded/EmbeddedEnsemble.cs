using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Runtime;
using QuorumPortal.Engine.Embedded.Storage;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded;

/// <summary>
/// The embedded backend: each member is a <see cref="QuorumPeer"/> on its own thread, talking over an
/// in-memory network, keeping its log and snapshots in <c>{dataDirectory}/server.{id}</c> (or in memory
/// when no directory is given). Killing a member drops its memory and resets its connections; starting
/// it again recovers from its directory.
/// </summary>
public sealed partial class EmbeddedEnsemble : IEnsembleBackend
{
    private readonly string? _dataDirectory;
    private readonly EmbeddedOptions _options;
    private readonly TimeProvider _time;
    // Created with the first member started; every member's loop runs on it (unless EmbeddedOptions.LoopThreads is 0).
    private LoopThreads? _loopThreads;
    private readonly object _gate = new();
    private readonly Dictionary<int, Member> _members = [];
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly Random _random;
    private IReadOnlyList<MemberSpec> _configuration;
    private EnsembleSettings _settings;

    /// <param name="spec">Name, members and settings; validated.</param>
    /// <param name="dataDirectory">Where members keep their data; null keeps it in memory (lost with the process).</param>
    /// <param name="seed">Seeds session ids, snapshot jitter and network faults; random when null. Threads still interleave as they will.</param>
    public EmbeddedEnsemble(EnsembleSpec spec, string? dataDirectory = null, EmbeddedOptions? options = null, TimeProvider? time = null, int? seed = null)
    {
        Seed = seed ?? Random.Shared.Next();
        _random = new Random(Seed);
        spec.EnsureValid();
        Name = spec.Name;
        _settings = spec.Settings;
        _dataDirectory = dataDirectory;
        _options = options ?? new EmbeddedOptions();
        if (_options.LoopThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.LoopThreads, "EmbeddedOptions.LoopThreads must be 0 (a thread per member) or more.");
        }

        _time = time ?? TimeProvider.System;
        _configuration = spec.Members;
        Network = new InMemoryNetwork(new Random(_random.Next()));
        foreach (var member in spec.Members)
        {
            _members[member.ServerId] = new Member(member, spec.Members);
        }
    }

    public string Name { get; }

    /// <summary>The seed of this ensemble's randomness, to print with a failing test.</summary>
    public int Seed { get; }

    public BackendKind Kind => BackendKind.Embedded;

    public BackendCapabilities Capabilities { get; } = new(ProcessControl: true, Reconfigure: true, ApplySettings: true, FaultInjection: true);

    public IReadOnlyList<MemberSpec> Members
    {
        get
        {
            lock (_gate)
            {
                var joiners = _members.Values.Select(m => m.Spec).Where(s => _configuration.All(c => c.ServerId != s.ServerId));
                return [.. _configuration, .. joiners];
            }
        }
    }

    /// <summary>The committed configuration as this backend last saw it.</summary>
    public IReadOnlyList<MemberSpec> Configuration
    {
        get
        {
            lock (_gate)
            {
                return _configuration;
            }
        }
    }

    public EnsembleSettings Settings
    {
        get
        {
            lock (_gate)
            {
                return _settings;
            }
        }
    }

    /// <summary>The in-memory network between members, for fault injection (partitions, loss, delay).</summary>
    internal InMemoryNetwork Network { get; }

    public bool IsRunning(int serverId)
    {
        lock (_gate)
        {
            return _members.TryGetValue(serverId, out var m) && m.Peer is not null;
        }
    }

    /// <summary>Where a new client starts in its member list: drawn from this ensemble's seed, so a run can be replayed.</summary>
    internal int NextClientSeed()
    {
        lock (_gate)
        {
            return _random.Next(1000);
        }
    }

    internal QuorumPeer? RunningPeer(int serverId)
    {
        lock (_gate)
        {
            return _members.TryGetValue(serverId, out var m) ? m.Peer : null;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var member in Configuration)
        {
            await StartMemberAsync(member.ServerId, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(StopMode mode, CancellationToken cancellationToken)
    {
        foreach (var id in Members.Select(m => m.ServerId).ToList())
        {
            await StopMemberAsync(id, mode, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StartMemberAsync(int serverId, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Member member;
            lock (_gate)
            {
                member = _members.TryGetValue(serverId, out var m) ? m : throw new ArgumentException($"server {serverId} is not a member of {Name}", nameof(serverId));
                if (member.Peer is not null)
                {
                    return;
                }
            }

            var storage = member.MemoryStorage ?? OpenStorage(serverId);
            var loop = _options.LoopThreads == 0
                ? new RealTimeEventLoop($"{Name}/server.{serverId}", _time)
                : new RealTimeEventLoop($"{Name}/server.{serverId}", _loopThreads ??= new LoopThreads($"{Name}/loops", _options.LoopThreads ?? LoopThreads.DefaultThreadCount, _time));
            int peerSeed;
            lock (_gate)
            {
                peerSeed = _random.Next();
            }

            var peer = new QuorumPeer(member.Spec, member.InitialMembers, Settings, _options, storage, loop, Network, new Random(peerSeed));
            try
            {
                await loop.InvokeAsync(peer.Start).ConfigureAwait(false);
            }
            catch
            {
                loop.Dispose();
                if (member.MemoryStorage is null)
                {
                    storage.Dispose();
                }

                throw;
            }

            lock (_gate)
            {
                member.Peer = peer;
                member.Loop = loop;
                member.Storage = storage;
            }

            var configuration = await loop.InvokeAsync(() => (peer.Tree.ConfigVersion, peer.Tree.Members)).ConfigureAwait(false);
            lock (_gate)
            {
                if (configuration.ConfigVersion > ConfigurationVersion)
                {
                    ConfigurationVersion = configuration.ConfigVersion;
                    _configuration = configuration.Members;
                }
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Version (zxid) of <see cref="Configuration"/>; 0 for the initial one.</summary>
    public long ConfigurationVersion { get; private set; }

    private INodeStorage OpenStorage(int serverId)
    {
        if (_dataDirectory is null)
        {
            lock (_gate)
            {
                return _members[serverId].MemoryStorage = new MemoryNodeStorage();
            }
        }

        var storage = new FileNodeStorage(MemberDirectory(serverId), _options.Fsync);
        return _options.UsesLogWriterThread ? new BackgroundNodeStorage(storage, $"{Name}/server.{serverId}") : storage;
    }

    private string MemberDirectory(int serverId) => Path.Combine(_dataDirectory!, $"server.{serverId}");

    public async Task StopMemberAsync(int serverId, StopMode mode, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            QuorumPeer? peer;
            RealTimeEventLoop? loop;
            INodeStorage? storage;
            lock (_gate)
            {
                if (!_members.TryGetValue(serverId, out var member) || member.Peer is null)
                {
                    return;
                }

                (peer, loop, storage) = (member.Peer, member.Loop, member.Storage);
                member.Peer = null;
                member.Loop = null;
                member.Storage = null;
            }

            if (mode == StopMode.Kill)
            {
                peer.Crash();
            }
            else
            {
                try
                {
                    await loop!.InvokeAsync(peer.Shutdown).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
                {
                    peer.Crash();
                }
            }

            // The member's thread must be gone before its files are closed.
            loop!.Dispose();
            if (storage is not null and not MemoryNodeStorage)
            {
                storage.Dispose();
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Reads the member's status on its own loop, so it is consistent; with <see cref="ProbeDetail.Clients"/> also its
    /// client connections, in the same turn of the loop.
    /// </summary>
    public async Task<MemberStatus> ProbeAsync(int serverId, ProbeDetail detail, CancellationToken cancellationToken)
    {
        var withClients = detail.HasFlag(ProbeDetail.Clients);
        var peer = RunningPeer(serverId);
        if (peer is null)
        {
            return MemberStatus.Down(serverId, _time.GetUtcNow(), "stopped") with { ClientsError = withClients ? "the member is stopped" : null };
        }

        try
        {
            var status = withClients
                ? peer.Loop.InvokeAsync(() => peer.GetStatus() with { Clients = peer.ListClients() })
                : peer.Loop.InvokeAsync(peer.GetStatus);
            return await status.WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            return MemberStatus.Down(serverId, _time.GetUtcNow(), e is TimeoutException ? "no answer within 2 s" : "stopped");
        }
    }

    public Task ApplySettingsAsync(EnsembleSettings settings, CancellationToken cancellationToken)
    {
        settings.EnsureValid();
        lock (_gate)
        {
            _settings = settings;
        }

        return Task.CompletedTask;
    }

    public async Task<ICoordinationClient> OpenClientAsync(ClientOptions options, CancellationToken cancellationToken)
    {
        var client = new EmbeddedCoordinationClient(this, options, _time);
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(StopMode.Graceful, CancellationToken.None).ConfigureAwait(false);

        // Under the lifecycle lock, so no member starts on the threads while they go away.
        await _lifecycle.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _loopThreads?.Dispose();
            _loopThreads = null;
        }
        finally
        {
            _lifecycle.Release();
        }

        _lifecycle.Dispose();
    }

    private sealed class Member(MemberSpec spec, IReadOnlyList<MemberSpec> initialMembers)
    {
        public MemberSpec Spec { get; } = spec;

        public IReadOnlyList<MemberSpec> InitialMembers { get; } = initialMembers;

        public QuorumPeer? Peer { get; set; }

        public RealTimeEventLoop? Loop { get; set; }

        public INodeStorage? Storage { get; set; }

        /// <summary>A joiner whose data directory was created for it: rolling it back deletes the directory.</summary>
        public bool FreshJoiner { get; set; }

        /// <summary>Without a data directory, the member's "disk" outlives its crashes here.</summary>
        public MemoryNodeStorage? MemoryStorage { get; set; }
    }
}
