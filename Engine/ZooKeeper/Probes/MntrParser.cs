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

    /// <summary>
    /// Every <c>zk_</c> line, key with its prefix, value as printed; from the AdminServer's <c>monitor</c>, every field
    /// as <c>zk_&lt;name&gt;</c>. Read from the answer on first use: the probe itself needs only the fields above.
    /// </summary>
    public IReadOnlyDictionary<string, string> Values
    {
        get => _values ??= SourceIsJson ? AdminServerParser.Flatten(Source, "zk_") : MntrParser.ReadValues(Source.Span);
        init => _values = value;
    }

    /// <summary>The answer the report was parsed from, for <see cref="Values"/>.</summary>
    internal ReadOnlyMemory<char> Source { get; init; }

    internal bool SourceIsJson { get; init; }

    private IReadOnlyDictionary<string, string>? _values;
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
        return Parse(text.AsMemory());
    }

    /// <inheritdoc cref="Parse(string)"/>
    public static MntrReport Parse(ReadOnlyMemory<char> text)
    {
        var span = text.Span;
        if (FourLetterWordClient.IsNotServing(span))
        {
            throw new FormatException($"mntr: the member is not serving requests (\"{FourLetterWordClient.NotServingText}\"), so it reported no metrics");
        }

        // Lines are walked as spans and only the fields the portal uses are read: mntr has ~500 lines and is read
        // from every member several times a second, so a string per key and value was most of the probe's garbage.
        var fields = new MntrFields("mntr");
        var lineNumber = 0;
        var lines = 0;
        foreach (var rawLine in span.EnumerateLines())
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
                throw new FormatException($"mntr line {lineNumber} is not 'zk_<key><TAB><value>': \"{Shorten(line)}\"");
            }

            lines++;
            fields.Read(line[3..tab], line[(tab + 1)..], lineNumber);
        }

        if (lines == 0)
        {
            throw new FormatException("mntr: the answer has no 'zk_<key><TAB><value>' lines");
        }

        return fields.ToReport(lines) with { Source = text };
    }

    // Every line as key and value, for MntrReport.Values.
    internal static Dictionary<string, string> ReadValues(ReadOnlySpan<char> text)
    {
        var values = new Dictionary<string, string>(512, StringComparer.Ordinal);
        foreach (var rawLine in text.EnumerateLines())
        {
            var line = rawLine.TrimEnd('\r');
            var tab = line.IndexOf('\t');
            if (tab > 0)
            {
                values[line[..tab].ToString()] = line[(tab + 1)..].ToString();
            }
        }

        return values;
    }

    internal static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "…";

    internal static string Shorten(ReadOnlySpan<char> s) => s.Length <= 80 ? s.ToString() : string.Concat(s[..80], "…");
}
