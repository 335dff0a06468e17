using QuorumPortal.Engine.Embedded.Runtime;
using QuorumPortal.Engine.Embedded.Storage;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded.Simulation;

/// <summary>
/// An embedded ensemble in virtual time: every node on one seeded <see cref="SimulationScheduler"/>,
/// in-memory storage that survives crashes, and a <see cref="SafetyChecker"/> watching. The same
/// <see cref="QuorumPeer"/> code runs here as in the live portal.
/// </summary>
internal sealed class SimulatedEnsemble
{
    private readonly Dictionary<int, INodeStorage> _storage = [];
    private readonly Func<int, INodeStorage> _storageFactory;
    private readonly Dictionary<int, QuorumPeer> _peers = [];
    private readonly Dictionary<int, MemberSpec> _known = [];
    private readonly Dictionary<int, IReadOnlyList<MemberSpec>> _initialMembers = [];

    /// <param name="storageFactory">Storage for a member id; default in memory. A crash keeps what a member stored.</param>
    public SimulatedEnsemble(int seed, int participants, EnsembleSettings settings, EmbeddedOptions options, int observers = 0,
        Func<int, INodeStorage>? storageFactory = null)
    {
        _storageFactory = storageFactory ?? (_ => new MemoryNodeStorage());
        Seed = seed;
        Settings = settings;
        Options = options;
        Scheduler = new SimulationScheduler(seed);
        Network = new InMemoryNetwork(new Random(seed ^ 0x5EED));
        var members = Enumerable.Range(1, participants).Select(id => new MemberSpec { ServerId = id })
            .Concat(Enumerable.Range(participants + 1, observers).Select(id => new MemberSpec { ServerId = id, Role = MemberRole.Observer }))
            .ToArray();
        foreach (var member in members)
        {
            _known[member.ServerId] = member;
            _initialMembers[member.ServerId] = members;
            _storage[member.ServerId] = _storageFactory(member.ServerId);
        }
    }

    public int Seed { get; }

    public EnsembleSettings Settings { get; }

    public EmbeddedOptions Options { get; }

    public SimulationScheduler Scheduler { get; }

    public InMemoryNetwork Network { get; }

    public SafetyChecker Checker { get; } = new();

    public TimeSpan Tick => TimeSpan.FromMilliseconds(Settings.TickTime);

    /// <summary>Running peers by id.</summary>
    public IReadOnlyDictionary<int, QuorumPeer> Peers => _peers;

    /// <summary>Every member ever provisioned here, running or not.</summary>
    public IReadOnlyCollection<MemberSpec> Known => _known.Values;

    public bool IsRunning(int id) => _peers.ContainsKey(id);

    /// <summary>The storage of a member, running or not.</summary>
    public INodeStorage StorageOf(int id) => _storage[id];

    /// <summary>Replaces a stopped member's storage (to reopen a file storage after a crash, as a new process would).</summary>
    public void ReplaceStorage(int id, INodeStorage storage)
    {
        if (_peers.ContainsKey(id))
        {
            throw new InvalidOperationException($"server {id} is running");
        }

        _storage[id] = storage;
    }

    /// <summary>The established leader of the newest epoch, if any.</summary>
    public QuorumPeer? Leader =>
        _peers.Values.Where(p => p.State == PeerState.Leading && p.Phase == ZabPhase.Broadcast)
            .OrderByDescending(p => p.CurrentEpoch).FirstOrDefault();

    public void StartAll()
    {
        foreach (var id in _known.Keys)
        {
            Start(id);
        }
    }

    public QuorumPeer Start(int id)
    {
        if (_peers.TryGetValue(id, out var running))
        {
            return running;
        }

        var loop = Scheduler.CreateLoop($"server-{id}");
        var peer = new QuorumPeer(_known[id], _initialMembers[id], Settings, Options, _storage[id], loop, Network,
            new Random(Scheduler.Random.Next()), Checker);
        _peers[id] = peer;
        peer.Start();
        return peer;
    }

    public void Crash(int id)
    {
        if (_peers.Remove(id, out var peer))
        {
            peer.Crash();
        }
    }

    public void Shutdown(int id)
    {
        if (_peers.Remove(id, out var peer))
        {
            peer.Shutdown();
        }
    }

    /// <summary>A new member with a provisional configuration of <paramref name="current"/> plus itself (not started).</summary>
    public MemberSpec Provision(int id, MemberRole role, IReadOnlyList<MemberSpec> current)
    {
        var member = new MemberSpec { ServerId = id, Role = role };
        _known[id] = member;
        _initialMembers[id] = [.. current.Where(m => m.ServerId != id), member];
        _storage[id] = _storageFactory(id);
        return member;
    }

    /// <summary>Forgets a member (after it was removed): stops it and drops its storage.</summary>
    public void Forget(int id)
    {
        Crash(id);
        _known.Remove(id);
        _storage.Remove(id);
        _initialMembers.Remove(id);
    }

    /// <summary>
    /// Whether the ensemble is whole: one established leader, and every member of its configuration
    /// running, serving under it in the same epoch.
    /// </summary>
    public bool IsStable()
    {
        var leader = Leader;
        if (leader is null)
        {
            return false;
        }

        foreach (var member in leader.Tree.Members)
        {
            if (!_peers.TryGetValue(member.ServerId, out var peer) || peer.Phase != ZabPhase.Broadcast
                || peer.LeaderId != leader.ServerId || peer.CurrentEpoch != leader.CurrentEpoch)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether every running member of the leader's configuration has applied the same history.</summary>
    public bool IsConverged()
    {
        var leader = Leader;
        if (leader is null || !IsStable())
        {
            return false;
        }

        return leader.Tree.Members.All(m =>
            _peers[m.ServerId].AppliedZxid == leader.AppliedZxid && _peers[m.ServerId].Digest == leader.Digest);
    }
}
