using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Embedded.Runtime;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded.Simulation;

/// <summary>What to throw at a simulated ensemble.</summary>
internal sealed record SimulationPlan
{
    public int Participants { get; init; } = 3;

    public int Observers { get; init; }

    public int Clients { get; init; } = 4;

    /// <summary>How long faults are injected (virtual time).</summary>
    public TimeSpan FaultPhase { get; init; } = TimeSpan.FromSeconds(20);

    public bool Crashes { get; init; } = true;

    public bool Partitions { get; init; } = true;

    public bool LossyNetwork { get; init; } = true;

    public bool MembershipChanges { get; init; } = true;

    public EnsembleSettings Settings { get; init; } = new() { TickTime = 100, InitLimit = 10, SyncLimit = 5, SnapCount = 400 };

    public EmbeddedOptions Options { get; init; } = new()
    {
        Fsync = Storage.FsyncPolicy.Off,
        MaxNotificationInterval = TimeSpan.FromSeconds(2),
        CommittedLogCapacity = 300,
    };

    /// <summary>After the faults heal, how long the ensemble may take to elect a leader and sync everyone.</summary>
    public TimeSpan RecoveryBound { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>The outcome of one seeded run.</summary>
internal sealed record SimulationReport(
    int Seed,
    int Participants,
    IReadOnlyList<string> Violations,
    IReadOnlyList<string> Trace,
    long AckedWrites,
    long UnknownOutcomes,
    int LeadersElected,
    long TransactionsApplied,
    TimeSpan? RecoveryTime,
    int MembershipChanges)
{
    public bool Passed => Violations.Count == 0;

    public override string ToString() =>
        $"seed {Seed} ({Participants} participants): {(Passed ? "passed" : "FAILED")}; {AckedWrites} acknowledged writes, " +
        $"{UnknownOutcomes} unknown outcomes, {LeadersElected} leaderships, {MembershipChanges} membership changes, " +
        $"recovered in {RecoveryTime?.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) ?? "never"} ms" +
        (Passed ? string.Empty : Environment.NewLine + string.Join(Environment.NewLine, Violations.Take(10)) +
            Environment.NewLine + "trace (last 40):" + Environment.NewLine + string.Join(Environment.NewLine, Trace.TakeLast(40)));
}

/// <summary>
/// One deterministic simulation: start an ensemble, run clients while injecting random faults (crashes
/// and restarts, partitions, loss, delay, duplication, membership changes), heal everything, then check
/// ZAB's guarantees and every acknowledged write. The same seed replays the same run.
/// </summary>
internal sealed class SimulationRun
{
    private readonly SimulationPlan _plan;
    private readonly SimulatedEnsemble _ensemble;
    private readonly Random _random;
    private readonly WriteLedger _ledger = new();
    private readonly List<SimClient> _clients = [];
    private readonly List<string> _trace = [];
    private readonly SimulatedLoop _chaos;
    private bool _adminBusy;
    private int _membershipChanges;
    private int _nextServerId;

    public SimulationRun(int seed, SimulationPlan plan)
    {
        _plan = plan;
        _ensemble = new SimulatedEnsemble(seed, plan.Participants, plan.Settings, plan.Options, plan.Observers);
        _random = new Random(seed * 7919 + 17);
        _chaos = _ensemble.Scheduler.CreateLoop("chaos");
        _nextServerId = plan.Participants + plan.Observers + 1;
    }

    /// <summary>A real network is never instantaneous; without latency, virtual time could stand still.</summary>
    private static readonly NetworkFaults BaseLatency = new()
    {
        Delay = TimeSpan.FromMilliseconds(0.1),
        Jitter = TimeSpan.FromMilliseconds(0.2),
    };

    public SimulatedEnsemble Ensemble => _ensemble;

    public static SimulationReport Run(int seed, SimulationPlan plan) => new SimulationRun(seed, plan).Execute();

    public SimulationReport Execute()
    {
        var scheduler = _ensemble.Scheduler;
        _ensemble.Network.Faults = BaseLatency;
        _ensemble.StartAll();
        TimeSpan? recovery = null;
        if (!scheduler.RunUntil(_ensemble.IsStable, scheduler.Now + _plan.RecoveryBound))
        {
            _ensemble.Checker.Violation("no stable leader at start");
        }
        else
        {
            Trace($"leader {_ensemble.Leader!.ServerId} elected");
            for (var i = 0; i < _plan.Clients; i++)
            {
                var client = new SimClient(i + 1, _ensemble, _ledger);
                _clients.Add(client);
                client.Start();
            }

            var end = scheduler.Now + _plan.FaultPhase;
            ScheduleChaos(end);
            scheduler.RunUntil(end);

            // Heal: network whole, no faults, every member of the configuration running.
            _chaos.Stop();
            _ensemble.Network.Heal();
            _ensemble.Network.Faults = BaseLatency;
            Trace("heal");
            var healedAt = scheduler.Now;
            var healed = scheduler.RunUntil(() =>
            {
                RestartConfiguredMembers();
                return _ensemble.IsStable();
            }, healedAt + _plan.RecoveryBound);
            if (!healed)
            {
                _ensemble.Checker.Violation($"no stable leader within {_plan.RecoveryBound.TotalSeconds} s after the faults healed: " + Describe());
            }
            else
            {
                recovery = scheduler.Now - healedAt;
                foreach (var client in _clients)
                {
                    client.Stop();
                }

                if (!scheduler.RunUntil(_ensemble.IsConverged, scheduler.Now + TimeSpan.FromSeconds(5)))
                {
                    _ensemble.Checker.Violation("members did not converge on one history after the workload stopped: " + Describe());
                }

                // Full restart from disk: what was acknowledged must survive it.
                var configuration = _ensemble.Leader!.Tree.Members;
                foreach (var id in _ensemble.Peers.Keys.ToList())
                {
                    _ensemble.Crash(id);
                }

                foreach (var member in configuration)
                {
                    _ensemble.Start(member.ServerId);
                }

                if (!scheduler.RunUntil(_ensemble.IsConverged, scheduler.Now + _plan.RecoveryBound))
                {
                    _ensemble.Checker.Violation("no stable leader after a full restart: " + Describe());
                }
                else
                {
                    foreach (var member in _ensemble.Leader!.Tree.Members)
                    {
                        var peer = _ensemble.Peers[member.ServerId];
                        _ledger.Verify(peer.Tree, $"server {peer.ServerId}");
                    }
                }
            }
        }

        var violations = _ensemble.Checker.Violations.Concat(_ledger.Violations).ToList();
        return new SimulationReport(_ensemble.Seed, _plan.Participants, violations, _trace, _ledger.AckedWrites,
            _ledger.UnknownOutcomes, _ensemble.Checker.LeadersElected, _ensemble.Checker.TransactionsApplied, recovery, _membershipChanges);
    }

    private string Describe() =>
        string.Join("; ", _ensemble.Known.OrderBy(m => m.ServerId).Select(m =>
            _ensemble.Peers.TryGetValue(m.ServerId, out var p)
                ? $"{m.ServerId}:{p.State}/{p.Phase} leader {p.LeaderId} epoch {p.CurrentEpoch} zxid {Zxid.ToHex(p.AppliedZxid)}{(p.IsRemoved ? " removed" : string.Empty)} ({p.LookingReason}){(p.State == PeerState.Looking ? " " + p.ElectionState : string.Empty)}"
                : $"{m.ServerId}:down"));

    private void Trace(string text)
    {
        _trace.Add($"{_ensemble.Scheduler.Now.TotalMilliseconds,8:0} ms  {text}");
    }

    private void RestartConfiguredMembers()
    {
        var config = _ensemble.Leader?.Tree.Members ?? _ensemble.Peers.Values.OrderByDescending(p => p.AppliedZxid).FirstOrDefault()?.Tree.Members;
        if (config is null)
        {
            foreach (var member in _ensemble.Known.ToList())
            {
                _ensemble.Start(member.ServerId);
            }

            return;
        }

        foreach (var member in config)
        {
            if (!_ensemble.IsRunning(member.ServerId) && _ensemble.Known.Any(k => k.ServerId == member.ServerId))
            {
                _ensemble.Start(member.ServerId);
            }
        }
    }

    private void ScheduleChaos(TimeSpan end)
    {
        var delay = TimeSpan.FromMilliseconds(100 + _random.Next(900));
        _chaos.Schedule(delay, () =>
        {
            if (_ensemble.Scheduler.Now < end)
            {
                Fault();
                ScheduleChaos(end);
            }
        });
    }

    private void Fault()
    {
        var ids = _ensemble.Known.Select(m => m.ServerId).OrderBy(id => id).ToList();
        var roll = _random.Next(100);
        if (roll < 30 && _plan.Crashes)
        {
            // Crash a running member, or restart a crashed one.
            var down = ids.Where(id => !_ensemble.IsRunning(id)).ToList();
            if (down.Count > 0 && _random.Next(2) == 0)
            {
                var id = down[_random.Next(down.Count)];
                Trace($"restart {id}");
                _ensemble.Start(id);
            }
            else
            {
                var up = ids.Where(_ensemble.IsRunning).ToList();
                if (up.Count > 0)
                {
                    var id = _random.Next(3) == 0 && _ensemble.Leader is { } leader ? leader.ServerId : up[_random.Next(up.Count)];
                    Trace($"crash {id}");
                    _ensemble.Crash(id);
                }
            }
        }
        else if (roll < 55 && _plan.Partitions)
        {
            switch (_random.Next(4))
            {
                case 0:
                    Trace("heal network");
                    _ensemble.Network.Heal();
                    break;
                case 1 when _ensemble.Leader is { } leader:
                    Trace($"isolate leader {leader.ServerId}");
                    _ensemble.Network.Isolate(leader.ServerId);
                    break;
                default:
                    var shuffled = ids.OrderBy(_ => _random.Next()).ToList();
                    var cut = 1 + _random.Next(Math.Max(1, shuffled.Count - 1));
                    var a = shuffled.Take(cut).ToArray();
                    var b = shuffled.Skip(cut).ToArray();
                    Trace($"partition [{string.Join(",", a)}] | [{string.Join(",", b)}]");
                    _ensemble.Network.Partition(a, b);
                    break;
            }
        }
        else if (roll < 75 && _plan.LossyNetwork)
        {
            var faults = _random.Next(3) == 0
                ? BaseLatency
                : new NetworkFaults
                {
                    Delay = TimeSpan.FromMilliseconds(0.1 + _random.Next(5)),
                    Jitter = TimeSpan.FromMilliseconds(_random.Next(10)),
                    DropRate = _random.NextDouble() * 0.2,
                    DuplicateRate = _random.NextDouble() * 0.1,
                    ResetRate = _random.NextDouble() * 0.002,
                };
            Trace($"network faults: delay {faults.Delay.TotalMilliseconds} ms, jitter {faults.Jitter.TotalMilliseconds} ms, " +
                $"drop {faults.DropRate:0.00}, duplicate {faults.DuplicateRate:0.00}, reset {faults.ResetRate:0.000}");
            _ensemble.Network.Faults = faults;
        }
        else if (roll < 90 && _plan.MembershipChanges && !_adminBusy)
        {
            ChangeMembership();
        }
    }

    private void ChangeMembership()
    {
        var leader = _ensemble.Leader;
        if (leader is null)
        {
            return;
        }

        var config = leader.Tree.Members;
        var voters = config.Count(m => m.IsVoter);
        var add = voters <= 3 || voters < 7 && _random.Next(2) == 0;
        _adminBusy = true;
        if (add)
        {
            var id = _nextServerId++;
            var role = _random.Next(4) == 0 ? MemberRole.Observer : MemberRole.Participant;
            var joiner = _ensemble.Provision(id, role, config);
            Trace($"join {id} as {role}");
            var peer = _ensemble.Start(id);
            var deadline = _ensemble.Scheduler.Now + TimeSpan.FromSeconds(3);
            void AwaitSynced()
            {
                if (_ensemble.IsRunning(id) && peer.Phase == ZabPhase.Broadcast && _ensemble.Leader is { } current)
                {
                    Reconfig(current, [.. current.Tree.Members.Where(m => m.ServerId != id), joiner], id, added: true);
                }
                else if (_ensemble.Scheduler.Now > deadline || !_ensemble.IsRunning(id))
                {
                    Trace($"join {id} abandoned: not synced");
                    _ensemble.Forget(id);
                    _adminBusy = false;
                }
                else
                {
                    _chaos.Schedule(TimeSpan.FromMilliseconds(50), AwaitSynced);
                }
            }

            _chaos.Schedule(TimeSpan.FromMilliseconds(50), AwaitSynced);
        }
        else
        {
            var candidates = config.Where(m => m.IsVoter || _random.Next(2) == 0).ToList();
            var leaving = candidates[_random.Next(candidates.Count)].ServerId;
            Trace($"remove {leaving}{(leaving == leader.ServerId ? " (the leader)" : string.Empty)}");
            Reconfig(leader, config.Where(m => m.ServerId != leaving).ToList(), leaving, added: false);
        }
    }

    private void Reconfig(QuorumPeer leader, IReadOnlyList<MemberSpec> members, int subject, bool added)
    {
        var admin = new AdminRequest(_chaos, reply =>
        {
            _adminBusy = false;
            if (reply.Error is null)
            {
                _membershipChanges++;
                Trace($"configuration {Zxid.ToHex(reply.Zxid)} committed: [{string.Join(",", members.Select(m => m.ServerId))}]");
                if (!added)
                {
                    _ensemble.Forget(subject);
                }
            }
            else
            {
                Trace($"reconfig refused or lost: {reply.Error} {reply.Detail}");
                if (added && !(_ensemble.Leader?.Tree.Members.Any(m => m.ServerId == subject) ?? true))
                {
                    _ensemble.Forget(subject);
                }
            }
        });
        admin.Send(leader, new WriteOp(new ReconfigOp(members)));
    }

    /// <summary>A one-shot session that sends one request and reports its answer (or its loss).</summary>
    private sealed class AdminRequest(SimulatedLoop loop, Action<ClientReply> done) : IClientConnection
    {
        private QuorumPeer? _server;
        private ClientOp? _op;
        private bool _finished;

        public void Send(QuorumPeer server, ClientOp op)
        {
            _server = server;
            _op = op;
            server.Loop.Post(() => server.ClientConnect(this, 0, 4000, 0));
            loop.Schedule(TimeSpan.FromSeconds(3), () => Finish(new ClientReply(1, 0, CoordinationError.ConnectionLoss, null, "timed out")));
        }

        public void OnConnected(long sessionId, int negotiatedTimeoutMs, int serverId, long sessionZxid)
        {
            var server = _server!;
            server.ClientSubmit(this, 1, _op!);
        }

        public void OnReply(ClientReply reply)
        {
            if (reply.Cxid != 1)
            {
                return;
            }

            loop.Post(() => Finish(reply));
            var server = _server!;
            server.Loop.Post(() => server.ClientSubmit(this, 2, new WriteOp(new CloseSessionOp())));
        }

        public void OnDisconnected(CoordinationError reason) =>
            loop.Post(() => Finish(new ClientReply(1, 0, reason, null, "disconnected")));

        private void Finish(ClientReply reply)
        {
            if (!_finished)
            {
                _finished = true;
                done(reply);
            }
        }
    }
}
