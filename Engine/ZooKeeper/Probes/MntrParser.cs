using System.Globalization;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>
/// The fields of a ZooKeeper 3.8 <c>mntr</c> answer that the portal uses, plus every line as text in
/// <see cref="Values"/>. Names are mntr's without the <c>zk_</c> prefix.
/// </summary>
public sealed record MntrReport
{
    /// <summary><c>zk_version</c>, e.g. <c>3.8.0-…, built on …</c>.</summary>
    public required string Version { get; init; }

    /// <summary><c>zk_server_state</c>: leader, follower, observer, standalone or read-only.</summary>
    public required string ServerState { get; init; }

    /// <summary><c>zk_peer_state</c>, e.g. <c>following - broadcast</c>; null on a standalone server.</summary>
    public string? PeerState { get; init; }

    /// <summary><c>zk_avg_latency</c>, <c>zk_min_latency</c>, <c>zk_max_latency</c>: client request latency in ms.</summary>
    public double AvgLatency { get; init; }

    public double MinLatency { get; init; }

    public double MaxLatency { get; init; }

    /// <summary><c>zk_packets_received</c>, <c>zk_packets_sent</c>: client packets since start (or the last <c>srst</c>).</summary>
    public long PacketsReceived { get; init; }

    public long PacketsSent { get; init; }

    /// <summary><c>zk_num_alive_connections</c>: open client connections.</summary>
    public int NumAliveConnections { get; init; }

    /// <summary><c>zk_outstanding_requests</c>.</summary>
    public long OutstandingRequests { get; init; }

    /// <summary><c>zk_znode_count</c>.</summary>
    public long ZnodeCount { get; init; }

    /// <summary><c>zk_approximate_data_size</c> in bytes.</summary>
    public long ApproximateDataSize { get; init; }

    /// <summary><c>zk_synced_followers</c>: voting followers in sync; leader only.</summary>
    public int? SyncedFollowers { get; init; }

    /// <summary>
    /// Learners (followers and observers) connected to this leader: <c>zk_learners</c> in 3.6+,
    /// <c>zk_followers</c> before (3.8 prints only <c>zk_learners</c>); leader only.
    /// </summary>
    public int? Followers { get; init; }

    /// <summary><c>zk_synced_observers</c>; leader (and followers acting as observer masters).</summary>
    public int? SyncedObservers { get; init; }

    /// <summary><c>zk_quorum_size</c>: voters in the member's configuration; null on standalone.</summary>
    public int? QuorumSize { get; init; }

    /// <summary><c>zk_observer_master_id</c>: the learner master an observer follows; observers only.</summary>
    public int? ObserverMasterId { get; init; }

    /// <summary>
    /// <c>zk_cnt_readlatency</c>: read requests (pings included) this member completed for its own clients.
    /// Null when the line is absent.
    /// </summary>
    public long? ReadRequests { get; init; }

    /// <summary>
    /// <c>zk_cnt_updatelatency</c>: write requests (session create/close included) this member completed for its own
    /// clients. Null when the line is absent.
    /// </summary>
    public long? WriteRequests { get; init; }

    /// <summary><c>zk_uptime</c> in ms; null when absent.</summary>
    public long? Uptime { get; init; }

    /// <summary>Every <c>zk_</c> line, key with its prefix, value as printed.</summary>
    public required IReadOnlyDictionary<string, string> Values { get; init; }
}

/// <summary>Parses ZooKeeper's <c>mntr</c> answer: <c>zk_key TAB value</c> lines in any order.</summary>
public static class MntrParser
{
    /// <exception cref="FormatException">
    /// a line that is not <c>zk_key TAB value</c>, a non-numeric value for a numeric key, or no <c>zk_server_state</c>.
    /// </exception>
    public static MntrReport Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (FourLetterWordClient.IsNotServing(text))
        {
            throw new FormatException($"mntr: the member is not serving requests (\"{FourLetterWordClient.NotServingText}\"), so it reported no metrics");
        }

        // Lines are walked as spans and line numbers found again only for an error message: mntr has ~400 lines and
        // is read from every member several times a second, so a string per line and a second dictionary added up.
        var values = new Dictionary<string, string>(512, StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            var tab = line.IndexOf('\t');
            if (!line.StartsWith("zk_", StringComparison.Ordinal) || tab <= 3)
            {
                throw new FormatException($"mntr line {lineNumber} is not 'zk_<key><TAB><value>': \"{Shorten(line.ToString())}\"");
            }

            values[line[..tab].ToString()] = line[(tab + 1)..].ToString();
        }

        if (values.Count == 0)
        {
            throw new FormatException("mntr: the answer has no 'zk_<key><TAB><value>' lines");
        }

        string Required(string key) => values.TryGetValue(key, out var v)
            ? v
            : throw new FormatException($"mntr: no {key} line among {values.Count} lines");

        double Double(string key) => values.TryGetValue(key, out var v) ? ParseDouble(key, v) : 0;
        long Long(string key) => LongOrNull(key) ?? 0;
        long? LongOrNull(string key) => values.TryGetValue(key, out var v) ? ParseLong(key, v) : null;
        int? IntOrNull(string key) => LongOrNull(key) is long l ? checked((int)l) : null;

        double ParseDouble(string key, string v) =>
            double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                ? d
                : throw new FormatException($"mntr line {LineOf(text, key)}: {key} must be a number (was \"{Shorten(v)}\")");

        long ParseLong(string key, string v) =>
            long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                ? l
                : throw new FormatException($"mntr line {LineOf(text, key)}: {key} must be an integer (was \"{Shorten(v)}\")");

        return new MntrReport
        {
            Version = values.GetValueOrDefault("zk_version", ""),
            ServerState = Required("zk_server_state"),
            PeerState = values.GetValueOrDefault("zk_peer_state"),
            AvgLatency = Double("zk_avg_latency"),
            MinLatency = Double("zk_min_latency"),
            MaxLatency = Double("zk_max_latency"),
            PacketsReceived = Long("zk_packets_received"),
            PacketsSent = Long("zk_packets_sent"),
            NumAliveConnections = IntOrNull("zk_num_alive_connections") ?? 0,
            OutstandingRequests = Long("zk_outstanding_requests"),
            ZnodeCount = Long("zk_znode_count"),
            ApproximateDataSize = Long("zk_approximate_data_size"),
            SyncedFollowers = IntOrNull("zk_synced_followers"),
            Followers = IntOrNull("zk_learners") ?? IntOrNull("zk_followers"),
            SyncedObservers = IntOrNull("zk_synced_observers"),
            QuorumSize = IntOrNull("zk_quorum_size"),
            ObserverMasterId = IntOrNull("zk_observer_master_id"),
            ReadRequests = LongOrNull("zk_cnt_readlatency"),
            WriteRequests = LongOrNull("zk_cnt_updatelatency"),
            Uptime = LongOrNull("zk_uptime"),
            Values = values,
        };
    }

    // The 1-based number of the last line that sets key, for error messages only.
    private static int LineOf(string text, string key)
    {
        int number = 0, found = 0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            number++;
            if (line.StartsWith(key, StringComparison.Ordinal) && line.Length > key.Length && line[key.Length] == '\t')
            {
                found = number;
            }
        }

        return found;
    }

    internal static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
