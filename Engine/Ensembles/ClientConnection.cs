namespace QuorumPortal.Engine.Ensembles;

/// <summary>
/// One client connection of a member, as ZooKeeper's <c>cons</c> reports it (names after its fields: <c>queued</c>,
/// <c>recved</c>, <c>sent</c>, <c>sid</c>, <c>lop</c>, …). The session fields are null while the connection has no
/// session: a client still handshaking, or a four-letter word. Latencies in ms, counters since the connection opened.
/// </summary>
public sealed record ClientConnection
{
    /// <summary>The client's address as <c>ip:port</c> (<c>[v6]:port</c>); null when the member no longer knows it (closing).</summary>
    public string? Address { get; init; }

    /// <summary><c>sid</c>: the session on this connection; null without one.</summary>
    public long? SessionId { get; init; }

    /// <summary><c>queued</c>: requests received and not yet answered.</summary>
    public long Queued { get; init; }

    /// <summary><c>recved</c>: packets received from the client (requests and pings).</summary>
    public long Received { get; init; }

    /// <summary><c>sent</c>: packets sent to the client (replies and watch notifications).</summary>
    public long Sent { get; init; }

    /// <summary><c>lop</c>: ZooKeeper's four-letter name of the last operation answered (<c>PING</c>, <c>CREA</c>, <c>GETD</c>, <c>NA</c> …).</summary>
    public string? LastOperation { get; init; }

    /// <summary><c>est</c>: when the connection was accepted (the member's wall clock).</summary>
    public DateTimeOffset? Established { get; init; }

    /// <summary><c>to</c>: the session timeout the member negotiated.</summary>
    public TimeSpan? SessionTimeout { get; init; }

    /// <summary><c>lcxid</c>: the client's last request number; null before its first request.</summary>
    public long? LastCxid { get; init; }

    /// <summary><c>lzxid</c>: the zxid in the last reply.</summary>
    public long? LastZxid { get; init; }

    /// <summary>
    /// <c>lresp</c>: when the last reply went out, in ms on the member's monotonic clock — not a wall time; it compares
    /// only with other connections of the same member.
    /// </summary>
    public long? LastResponseMs { get; init; }

    /// <summary><c>llat</c>, <c>minlat</c>, <c>avglat</c>, <c>maxlat</c>: request latency on this connection, ms.</summary>
    public double? LastLatency { get; init; }

    public double? MinLatency { get; init; }

    public double? AvgLatency { get; init; }

    public double? MaxLatency { get; init; }

    /// <summary>A connection to the member's secure client port (the AdminServer lists them apart; <c>cons</c> on the plain port does not list them).</summary>
    public bool Secure { get; init; }
}
