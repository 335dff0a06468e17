using System.Globalization;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>
/// Collects the <see cref="MntrReport"/> fields from <c>mntr</c>'s metrics one at a time, whichever way they came: a
/// 4lw line or an AdminServer <c>monitor</c> field (the same names without the <c>zk_</c> prefix). Later values win.
/// </summary>
internal struct MntrFields(string answer)
{
    private string? _version;
    private string? _serverState;
    private string? _peerState;
    private double _avgLatency;
    private double _minLatency;
    private double _maxLatency;
    private long _packetsReceived;
    private long _packetsSent;
    private long _aliveConnections;
    private long _outstandingRequests;
    private long _znodeCount;
    private long _approximateDataSize;
    private long? _syncedFollowers;
    private long? _learners;
    private long? _followers;
    private long? _syncedObservers;
    private long? _quorumSize;
    private long? _observerMasterId;
    private long? _readRequests;
    private long? _writeRequests;
    private long? _uptime;

    // The names Read looks at, as UTF-8 and by length, so the AdminServer's ~550 fields are sorted out before any is decoded.
    private static readonly byte[][][] KnownByLength = Enumerable.Range(0, 32).Select(length => new[]
    {
        "version", "server_state", "peer_state", "avg_latency", "min_latency", "max_latency", "packets_received", "packets_sent",
        "num_alive_connections", "outstanding_requests", "znode_count", "approximate_data_size", "synced_followers", "learners",
        "followers", "synced_observers", "quorum_size", "observer_master_id", "cnt_readlatency", "cnt_updatelatency", "uptime",
    }.Where(n => n.Length == length).Select(System.Text.Encoding.UTF8.GetBytes).ToArray()).ToArray();

    /// <summary>Whether <see cref="Read"/> uses the metric <paramref name="utf8Key"/> (no <c>zk_</c> prefix).</summary>
    public static bool Reads(ReadOnlySpan<byte> utf8Key)
    {
        if (utf8Key.Length >= KnownByLength.Length)
        {
            return false;
        }

        foreach (var known in KnownByLength[utf8Key.Length])
        {
            if (utf8Key.SequenceEqual(known))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads one metric; <paramref name="key"/> has no <c>zk_</c> prefix. <paramref name="line"/> 0: no line numbers.</summary>
    /// <exception cref="FormatException">a numeric metric with a value that is not a number.</exception>
    public void Read(ReadOnlySpan<char> key, ReadOnlySpan<char> value, int line)
    {
        switch (key)
        {
            case "version": _version = value.ToString(); break;
            case "server_state": _serverState = Mode(value); break;
            case "peer_state": _peerState = value.ToString(); break;
            case "avg_latency": _avgLatency = Double(key, value, line); break;
            case "min_latency": _minLatency = Double(key, value, line); break;
            case "max_latency": _maxLatency = Double(key, value, line); break;
            case "packets_received": _packetsReceived = Long(key, value, line); break;
            case "packets_sent": _packetsSent = Long(key, value, line); break;
            case "num_alive_connections": _aliveConnections = Long(key, value, line); break;
            case "outstanding_requests": _outstandingRequests = Long(key, value, line); break;
            case "znode_count": _znodeCount = Long(key, value, line); break;
            case "approximate_data_size": _approximateDataSize = Long(key, value, line); break;
            case "synced_followers": _syncedFollowers = Long(key, value, line); break;
            case "learners": _learners = Long(key, value, line); break;
            case "followers": _followers = Long(key, value, line); break;
            case "synced_observers": _syncedObservers = Long(key, value, line); break;
            case "quorum_size": _quorumSize = Long(key, value, line); break;
            case "observer_master_id": _observerMasterId = Long(key, value, line); break;
            case "cnt_readlatency": _readRequests = Long(key, value, line); break;
            case "cnt_updatelatency": _writeRequests = Long(key, value, line); break;
            case "uptime": _uptime = Long(key, value, line); break;
        }
    }

    /// <exception cref="FormatException">no <c>server_state</c> was read, or a count does not fit.</exception>
    public readonly MntrReport ToReport(int metrics) => new()
    {
        Version = _version ?? "",
        ServerState = _serverState ?? throw new FormatException($"{answer}: no zk_server_state among {metrics} metrics"),
        PeerState = _peerState,
        AvgLatency = _avgLatency,
        MinLatency = _minLatency,
        MaxLatency = _maxLatency,
        PacketsReceived = _packetsReceived,
        PacketsSent = _packetsSent,
        NumAliveConnections = Int("num_alive_connections", _aliveConnections),
        OutstandingRequests = _outstandingRequests,
        ZnodeCount = _znodeCount,
        ApproximateDataSize = _approximateDataSize,
        SyncedFollowers = Int("synced_followers", _syncedFollowers),
        Followers = Int("learners", _learners) ?? Int("followers", _followers),
        SyncedObservers = Int("synced_observers", _syncedObservers),
        QuorumSize = Int("quorum_size", _quorumSize),
        ObserverMasterId = Int("observer_master_id", _observerMasterId),
        ReadRequests = _readRequests,
        WriteRequests = _writeRequests,
        Uptime = _uptime,
    };

    // The modes ZooKeeper prints, without a new string per probe.
    internal static string Mode(ReadOnlySpan<char> value) => value switch
    {
        "leader" => "leader",
        "follower" => "follower",
        "observer" => "observer",
        "standalone" => "standalone",
        "read-only" => "read-only",
        _ => value.ToString(),
    };

    private readonly double Double(ReadOnlySpan<char> key, ReadOnlySpan<char> value, int line) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Bad(key, value, line, "a number");

    private readonly long Long(ReadOnlySpan<char> key, ReadOnlySpan<char> value, int line) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : throw Bad(key, value, line, "an integer");

    private readonly FormatException Bad(ReadOnlySpan<char> key, ReadOnlySpan<char> value, int line, string what) =>
        new($"{answer}{(line > 0 ? $" line {line}" : "")}: zk_{key} must be {what} (was \"{MntrParser.Shorten(value)}\")");

    private readonly int Int(string key, long value) =>
        value is >= int.MinValue and <= int.MaxValue ? (int)value : throw new FormatException($"{answer}: zk_{key} is out of range ({value})");

    private readonly int? Int(string key, long? value) => value is long l ? Int(key, l) : null;
}
