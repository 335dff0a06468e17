using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Embedded.Runtime;
using QuorumPortal.Engine.Embedded.Simulation;
using QuorumPortal.Engine.Embedded.Storage;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Benchmarks;

/// <summary>Leader kills on a <see cref="SimulatedEnsemble"/>: deterministic for a seed, in virtual time.</summary>
internal static class SimulatedFailover
{
    /// <summary>As in the simulation tests: a real network is never instantaneous.</summary>
    private static readonly NetworkFaults Latency = new() { Delay = TimeSpan.FromMilliseconds(0.1), Jitter = TimeSpan.FromMilliseconds(0.2) };

    public sealed record Samples(double[] Established, double[] Committed);

    public static Samples Run(int seed, int kills, EnsembleSettings settings)
    {
        var ensemble = new SimulatedEnsemble(seed, 3, settings, new EmbeddedOptions { Fsync = FsyncPolicy.Off });
        var scheduler = ensemble.Scheduler;
        var bound = TimeSpan.FromSeconds(60);
        ensemble.Network.Faults = Latency;
        ensemble.StartAll();
        Require(scheduler.RunUntil(ensemble.IsStable, scheduler.Now + bound), "no stable ensemble at start");

        var established = new double[kills];
        var committed = new double[kills];
        for (var i = 0; i < kills; i++)
        {
            var leader = ensemble.Leader!;
            var (killed, epoch) = (leader.ServerId, leader.CurrentEpoch);
            var killedAt = scheduler.Now;
            ensemble.Crash(killed);

            Require(scheduler.RunUntil(() => ensemble.Leader is { } l && l.CurrentEpoch > epoch, killedAt + bound), $"kill {i}: no new leader");
            established[i] = (scheduler.Now - killedAt).TotalMilliseconds;

            // A client that was retrying against the survivors gets through at once: connect, then one write.
            var write = new OneWrite(new WriteOp(new CreateOp($"/failover-{i}", new byte[16], CreateMode.Persistent)));
            write.Send(ensemble.Leader!);
            Require(scheduler.RunUntil(() => write.Reply is not null, killedAt + bound), $"kill {i}: write not answered");
            Require(write.Reply!.Error is null && Zxid.EpochOf(write.Reply.Zxid) > epoch, $"kill {i}: write failed: {write.Reply.Error} {write.Reply.Detail}");
            committed[i] = (scheduler.Now - killedAt).TotalMilliseconds;

            ensemble.Start(killed);
            Require(scheduler.RunUntil(ensemble.IsStable, scheduler.Now + bound), $"kill {i}: server {killed} did not rejoin");
        }

        Require(ensemble.Checker.Violations.Count == 0, "safety violations: " + string.Join("; ", ensemble.Checker.Violations.Take(5)));
        Array.Sort(established);
        Array.Sort(committed);
        return new Samples(established, committed);
    }

    private static void Require(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException(failure);
        }
    }

    /// <summary>A session that sends one write, keeps its answer and closes. Everything runs on the scheduler's thread.</summary>
    private sealed class OneWrite(ClientOp op) : IClientConnection
    {
        private QuorumPeer? _server;

        public ClientReply? Reply { get; private set; }

        public void Send(QuorumPeer server)
        {
            _server = server;
            server.Loop.Post(() => server.ClientConnect(this, 0, 4000, 0));
        }

        public void OnConnected(long sessionId, int negotiatedTimeoutMs, int serverId, long sessionZxid) => _server!.ClientSubmit(this, 1, op);

        public void OnReply(ClientReply reply)
        {
            if (reply.Cxid == 1 && Reply is null)
            {
                Reply = reply;
                _server!.ClientSubmit(this, 2, new WriteOp(new CloseSessionOp()));
            }
        }

        public void OnDisconnected(CoordinationError reason) => Reply ??= new ClientReply(1, 0, reason, null, "disconnected");
    }
}
