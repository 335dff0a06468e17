using System.Globalization;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Embedded.Runtime;
using QuorumPortal.Engine.Embedded.Simulation;
using QuorumPortal.Engine.Embedded.Storage;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Embedded.Scenarios;

/// <summary>
/// One scripted scenario on a seeded <see cref="SimulatedEnsemble"/>: start and wait for a leader, run
/// a workload, send single requests and wait for their answers, and check what an operator would check.
/// Every wait is on a condition in virtual time; every assertion message carries the seed.
/// </summary>
internal sealed class ScenarioHarness
{
    public static readonly EnsembleSettings Settings = new() { TickTime = 100, InitLimit = 10, SyncLimit = 5 };

    public static readonly EmbeddedOptions Options = new()
    {
        Fsync = FsyncPolicy.Off,
        MaxNotificationInterval = TimeSpan.FromSeconds(2),
    };

    /// <summary>A real network is never instantaneous; without latency virtual time could stand still.</summary>
    private static readonly NetworkFaults BaseLatency = new()
    {
        Delay = TimeSpan.FromMilliseconds(0.1),
        Jitter = TimeSpan.FromMilliseconds(0.2),
    };

    private readonly ITestOutputHelper _output;
    private readonly List<SimClient> _workload = [];
    private int _nextClientId;

    public ScenarioHarness(ITestOutputHelper output, int seed, int participants, int observers = 0,
        EmbeddedOptions? options = null, Func<int, INodeStorage>? storage = null, EnsembleSettings? settings = null)
    {
        _output = output;
        output.WriteLine($"seed {seed}: {participants} participants, {observers} observers");
        Ensemble = new SimulatedEnsemble(seed, participants, settings ?? Settings, options ?? Options, observers, storage);
        Ensemble.Network.Faults = BaseLatency;
        Driver = Scheduler.CreateLoop("scenario");
    }

    public int Seed => Ensemble.Seed;

    public SimulatedEnsemble Ensemble { get; }

    public SimulationScheduler Scheduler => Ensemble.Scheduler;

    public WriteLedger Ledger { get; } = new();

    /// <summary>The scenario's own loop, for client timers.</summary>
    public SimulatedLoop Driver { get; }

    public TimeSpan Now => Scheduler.Now;

    public QuorumPeer Leader => Ensemble.Leader ?? throw new InvalidOperationException($"no leader; {Context}");

    public QuorumPeer Peer(int id) => Ensemble.Peers[id];

    /// <summary>Seed, virtual time and every member's state: for assertion messages.</summary>
    public string Context => $"seed {Seed} at {Ms(Now)} ms: {Describe()}";

    public static string Ms(TimeSpan span) => span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);

    public void Log(string text) => _output.WriteLine($"{Ms(Now),8} ms  {text}");

    public QuorumPeer StartAndWaitForLeader()
    {
        Ensemble.StartAll();
        WaitFor(Ensemble.IsStable, TimeSpan.FromSeconds(10), "stable leader at start");
        Log($"leader {Leader.ServerId} elected in epoch {Leader.CurrentEpoch}");
        return Leader;
    }

    /// <summary>Runs the simulation until <paramref name="condition"/> holds; fails the test if it does not within the bound.</summary>
    public void WaitFor(Func<bool> condition, TimeSpan within, string what)
    {
        if (!Scheduler.RunUntil(condition, Now + within))
        {
            Assert.Fail($"no {what} within {within.TotalSeconds} s; {Context}");
        }
    }

    public bool RunUntil(Func<bool> condition, TimeSpan within) => Scheduler.RunUntil(condition, Now + within);

    public void RunFor(TimeSpan span) => Scheduler.RunUntil(Now + span);

    /// <summary>Starts <paramref name="clients"/> workload clients that record acknowledged writes in <see cref="Ledger"/>.</summary>
    public void StartWorkload(int clients)
    {
        for (var i = 0; i < clients; i++)
        {
            var client = new SimClient(++_nextClientId, Ensemble, Ledger);
            _workload.Add(client);
            client.Start();
        }
    }

    public void StopWorkload()
    {
        foreach (var client in _workload)
        {
            client.Stop();
        }

        _workload.Clear();
    }

    /// <summary>Runs until at least <paramref name="count"/> more writes are acknowledged to the workload.</summary>
    public void WaitForAckedWrites(int count, TimeSpan within, string when)
    {
        var target = Ledger.AckedWrites + count;
        WaitFor(() => Ledger.AckedWrites >= target, within, $"{count} acknowledged writes {when}");
    }

    public ScenarioClient NewClient(int timeoutMs = 2000) => new(Driver, timeoutMs);

    /// <summary>Connects a new client to <paramref name="server"/> and waits until it is connected.</summary>
    public ScenarioClient Connect(QuorumPeer server, int timeoutMs = 2000)
    {
        var client = NewClient(timeoutMs);
        client.Connect(server);
        WaitFor(() => client.IsConnected || client.DisconnectReason is not null, TimeSpan.FromSeconds(3), $"answer to a connect at server {server.ServerId}");
        Assert.True(client.IsConnected, $"server {server.ServerId} refused a client: {client.DisconnectReason}; {Context}");
        return client;
    }

    /// <summary>
    /// Sends one request and waits for its answer. A dropped connection answers with its reason; no answer
    /// within the bound answers <see cref="CoordinationError.OperationTimeout"/>.
    /// </summary>
    public ClientReply Call(ScenarioClient client, ClientOp op, TimeSpan? within = null)
    {
        var disconnects = client.Disconnects;
        var cxid = client.Submit(op);
        RunUntil(() => client.Replies.ContainsKey(cxid) || client.Disconnects > disconnects, within ?? TimeSpan.FromSeconds(3));
        return client.Replies.TryGetValue(cxid, out var reply) ? reply
            : client.Disconnects > disconnects ? new ClientReply(cxid, 0, client.DisconnectReason, null, "disconnected")
            : new ClientReply(cxid, 0, CoordinationError.OperationTimeout, null, "no answer");
    }

    /// <summary>One write through a one-shot session on <paramref name="server"/>, which is then closed.</summary>
    public ClientReply Write(QuorumPeer server, TxnOp op)
    {
        var client = Connect(server);
        var reply = Call(client, new WriteOp(op));
        Log($"{op.GetType().Name} through server {server.ServerId}: {(reply.Error?.ToString() ?? "ok")} at {Zxid.ToHex(reply.Zxid)}");
        if (client.IsConnected)
        {
            client.Submit(new WriteOp(new CloseSessionOp()));
        }

        return reply;
    }

    /// <summary>Waits until the leader's configuration is whole and every member has applied the same history.</summary>
    public void WaitConverged(TimeSpan? within = null) =>
        WaitFor(Ensemble.IsConverged, within ?? TimeSpan.FromSeconds(10), "convergence (one leader, every member synced with equal digests)");

    /// <summary>No acknowledged write lost on any running member; no safety violation seen by the checker or the ledger.</summary>
    public void AssertNoLostWritesAndNoViolations()
    {
        foreach (var peer in Ensemble.Peers.Values.Where(p => !p.IsRemoved).OrderBy(p => p.ServerId))
        {
            var lost = Ledger.Verify(peer.Tree, $"server {peer.ServerId}");
            Assert.True(lost == 0, $"{lost} acknowledged writes lost on server {peer.ServerId}: {string.Join("; ", Ledger.Violations.Take(5))}; {Context}");
        }

        AssertNoViolations();
        Log($"{Ledger.AckedWrites} acknowledged writes all present on every member; no violations");
    }

    public void AssertNoViolations()
    {
        Assert.True(Ensemble.Checker.Violations.Count == 0, $"safety violations: {string.Join("; ", Ensemble.Checker.Violations)}; {Context}");
        Assert.True(Ledger.Violations.Count == 0, $"client-visible violations: {string.Join("; ", Ledger.Violations)}; {Context}");
    }

    public string Describe() =>
        string.Join("; ", Ensemble.Known.OrderBy(m => m.ServerId).Select(m =>
            Ensemble.Peers.TryGetValue(m.ServerId, out var p)
                ? $"{m.ServerId}:{p.State}/{p.Phase} leader {p.LeaderId} epoch {p.CurrentEpoch} zxid {Zxid.ToHex(p.AppliedZxid)}" +
                  $"{(p.IsRemoved ? " removed" : string.Empty)}{(p.State == PeerState.Looking ? $" ({p.LookingReason})" : string.Empty)}"
                : $"{m.ServerId}:down"));
}
