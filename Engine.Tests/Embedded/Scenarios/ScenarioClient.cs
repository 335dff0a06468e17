using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Embedded.Runtime;

namespace QuorumPortal.Engine.Tests.Embedded.Scenarios;

/// <summary>
/// A client a scenario steers by hand: it connects where it is told, with the session and last zxid it
/// is told, and records what the member answers. Everything runs on the one simulation thread.
/// </summary>
internal sealed class ScenarioClient(SimulatedLoop loop, int timeoutMs) : IClientConnection
{
    private int _cxid;
    private IDisposable? _pinger;

    public QuorumPeer? Server { get; private set; }

    public long SessionId { get; private set; }

    public int NegotiatedTimeoutMs { get; private set; }

    public long LastZxidSeen { get; private set; }

    public bool IsConnected { get; private set; }

    /// <summary>Why the last connection ended (or was refused); null while none has.</summary>
    public CoordinationError? DisconnectReason { get; private set; }

    /// <summary>How many times a member dropped or refused this client.</summary>
    public int Disconnects { get; private set; }

    public Dictionary<int, ClientReply> Replies { get; } = [];

    /// <summary>Asks <paramref name="server"/> for a new session, or to resume <paramref name="sessionId"/>.</summary>
    public void Connect(QuorumPeer server, long sessionId = 0, long lastZxidSeen = 0)
    {
        Server = server;
        IsConnected = false;
        DisconnectReason = null;
        server.Loop.Post(() => server.ClientConnect(this, sessionId, timeoutMs, lastZxidSeen));
    }

    /// <summary>Resumes this client's own session on <paramref name="server"/>, with the last zxid it has seen.</summary>
    public void Reconnect(QuorumPeer server) => Connect(server, SessionId, LastZxidSeen);

    public int Submit(ClientOp op)
    {
        var server = Server ?? throw new InvalidOperationException("not connected");
        var cxid = ++_cxid;
        server.Loop.Post(() => server.ClientSubmit(this, cxid, op));
        return cxid;
    }

    /// <summary>Goes away without closing the session (it may resume elsewhere).</summary>
    public void Disconnect()
    {
        StopPinging();
        if (Server is { } server)
        {
            server.Loop.Post(() => server.ClientDisconnect(this));
        }

        IsConnected = false;
    }

    /// <summary>Pings the current member every <paramref name="interval"/>, as a real client's heartbeat would.</summary>
    public void StartPinging(TimeSpan interval)
    {
        StopPinging();
        _pinger = loop.Schedule(interval, () =>
        {
            if (IsConnected && Server is { } server)
            {
                server.Loop.Post(() => server.ClientPing(this));
            }

            StartPinging(interval);
        });
    }

    public void StopPinging()
    {
        _pinger?.Dispose();
        _pinger = null;
    }

    public void OnConnected(long sessionId, int negotiatedTimeoutMs, int serverId, long sessionZxid)
    {
        IsConnected = true;
        SessionId = sessionId;
        NegotiatedTimeoutMs = negotiatedTimeoutMs;
        LastZxidSeen = Math.Max(LastZxidSeen, sessionZxid);
    }

    public void OnReply(ClientReply reply)
    {
        Replies[reply.Cxid] = reply;
        LastZxidSeen = Math.Max(LastZxidSeen, reply.Zxid);
    }

    public void OnDisconnected(CoordinationError reason)
    {
        IsConnected = false;
        DisconnectReason = reason;
        Disconnects++;
    }
}
