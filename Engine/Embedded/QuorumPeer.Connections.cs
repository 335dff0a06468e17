using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded;

// The member's client connections as ZooKeeper's cons lists them, for the member page. Counted on the loop as
// requests come and go (a few field updates each); listed only when a page asks.
internal sealed partial class QuorumPeer
{
    /// <summary>What an in-process connection has instead of a socket address.</summary>
    public const string InProcessAddress = "in-process";

    /// <summary>Every client connection of this member, oldest first. Call on the loop.</summary>
    public IReadOnlyList<ClientConnection> ListClients()
    {
        var list = new List<ClientConnection>(_clients.Count);
        foreach (var session in _clients.Values.OrderBy(s => s.Stats.Established))
        {
            var stats = session.Stats;
            list.Add(new ClientConnection
            {
                Address = InProcessAddress,
                Queued = session.Queue.Count,
                Received = stats.Received,
                Sent = stats.Sent,
                // As cons: the session fields once the session exists.
                SessionId = session.Connected ? session.SessionId : null,
                LastOperation = session.Connected ? stats.LastOperation : null,
                Established = session.Connected ? stats.Established : null,
                SessionTimeout = session.Connected ? TimeSpan.FromMilliseconds(session.TimeoutMs) : null,
                LastCxid = session.Connected ? stats.LastCxid : null,
                LastZxid = session.Connected ? stats.LastZxid : null,
                LastResponseMs = session.Connected ? stats.LastResponseMs : null,
                LastLatency = session.Connected ? stats.LastLatency : null,
                MinLatency = session.Connected ? stats.MinLatency : null,
                AvgLatency = session.Connected ? stats.AvgLatency : null,
                MaxLatency = session.Connected ? stats.MaxLatency : null,
            });
        }

        return list;
    }

    /// <summary>One connection's counters, named after ZooKeeper's <c>ServerCnxn</c> statistics.</summary>
    private sealed class ConnectionStats(DateTimeOffset established)
    {
        private double _latencySum;
        private long _replies;

        public DateTimeOffset Established { get; } = established;

        public long Received { get; private set; }

        public long Sent { get; private set; }

        public string LastOperation { get; private set; } = "NA";

        public long? LastCxid { get; private set; }

        public long? LastZxid { get; private set; }

        public long? LastResponseMs { get; private set; }

        public double LastLatency { get; private set; }

        public double MinLatency { get; private set; }

        public double MaxLatency { get; private set; }

        public double AvgLatency => _replies == 0 ? 0 : _latencySum / _replies;

        /// <summary>A request or the connect arrived.</summary>
        public void Requested() => Received++;

        /// <summary>A ping arrived; the embedded protocol does not answer pings, so nothing is sent.</summary>
        public void Pinged() => Received++;

        /// <summary>A reply went out at <paramref name="now"/> (loop time) for a request received at <paramref name="started"/>.</summary>
        public void Replied(int cxid, ClientOp op, long zxid, TimeSpan started, TimeSpan now)
        {
            Sent++;
            if (cxid != ConnectCxid)
            {
                LastCxid = cxid;
            }

            LastZxid = zxid;
            LastOperation = OperationName(op);
            LastResponseMs = (long)now.TotalMilliseconds;
            var ms = (now - started).TotalMilliseconds;
            LastLatency = ms;
            MinLatency = _replies == 0 ? ms : Math.Min(MinLatency, ms);
            MaxLatency = Math.Max(MaxLatency, ms);
            _latencySum += ms;
            _replies++;
        }

        // ZooKeeper's FinalRequestProcessor names, so the table reads the same for both backends.
        private static string OperationName(ClientOp op) => op switch
        {
            ReadOp { Kind: ReadKind.GetData } => "GETD",
            ReadOp { Kind: ReadKind.Exists } => "EXIS",
            ReadOp { Kind: ReadKind.GetChildren } => "GETC",
            SyncOp => "SYNC",
            WriteOp { Op: CreateOp } => "CREA",
            WriteOp { Op: DeleteOp } => "DELE",
            WriteOp { Op: SetDataOp } => "SETD",
            WriteOp { Op: CreateSessionOp } => "SESS",
            WriteOp { Op: CloseSessionOp } => "CLOS",
            WriteOp { Op: ReconfigOp } => "RECO",
            _ => "NA",
        };
    }
}
