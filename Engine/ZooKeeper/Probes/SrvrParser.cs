using System.Globalization;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>ZooKeeper's <c>srvr</c> (or <c>stat</c>) answer. Latencies in ms, counters since start or the last <c>srst</c>.</summary>
public sealed record SrvrReport
{
    /// <summary><c>Zookeeper version:</c> line.</summary>
    public required string Version { get; init; }

    /// <summary><c>Mode:</c> leader, follower, observer, standalone or read-only.</summary>
    public required string Mode { get; init; }

    /// <summary><c>Zxid:</c> the last zxid this member processed.</summary>
    public required long Zxid { get; init; }

    /// <summary><c>Latency min/avg/max:</c>.</summary>
    public double LatencyMin { get; init; }

    public double LatencyAvg { get; init; }

    public double LatencyMax { get; init; }

    /// <summary><c>Received:</c> and <c>Sent:</c> client packets.</summary>
    public long Received { get; init; }

    public long Sent { get; init; }

    /// <summary><c>Connections:</c> open client connections.</summary>
    public int Connections { get; init; }

    /// <summary><c>Outstanding:</c> queued client requests.</summary>
    public long Outstanding { get; init; }

    /// <summary><c>Node count:</c>.</summary>
    public long NodeCount { get; init; }

    /// <summary>True when the answer carries the <c>READ-ONLY mode</c> line.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// Every <c>Key: value</c> line as printed; from the AdminServer's <c>server_stats</c>, every field with nested
    /// names joined by dots (<c>server_stats.packets_sent</c>). Read from the answer on first use.
    /// </summary>
    public IReadOnlyDictionary<string, string> Values
    {
        get => _values ??= SourceIsJson ? AdminServerParser.Flatten(Source, "") : SrvrParser.ReadValues(Source.Span);
        init => _values = value;
    }

    /// <summary>The answer the report was parsed from, for <see cref="Values"/>.</summary>
    internal ReadOnlyMemory<char> Source { get; init; }

    internal bool SourceIsJson { get; init; }

    private IReadOnlyDictionary<string, string>? _values;
}

/// <summary>Parses ZooKeeper's <c>srvr</c> answer; also accepts <c>stat</c>, whose client list it skips.</summary>
public static class SrvrParser
{
    /// <exception cref="FormatException">the not-serving line, a malformed line, or no <c>Zxid:</c> / <c>Mode:</c>.</exception>
    public static SrvrReport Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.AsMemory());
    }

    /// <inheritdoc cref="Parse(string)"/>
    public static SrvrReport Parse(ReadOnlyMemory<char> text)
    {
        var span = text.Span;
        if (FourLetterWordClient.IsNotServing(span))
        {
            throw new FormatException($"srvr: the member is not serving requests (\"{FourLetterWordClient.NotServingText}\")");
        }

        string? version = null, mode = null;
        long? zxid = null;
        double min = 0, avg = 0, max = 0;
        long received = 0, sent = 0, connections = 0, outstanding = 0, nodeCount = 0;
        var readOnly = false;
        var lineNumber = 0;
        foreach (var rawLine in span.EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || line[0] == ' ' || line.SequenceEqual("Clients:"))
            {
                continue; // stat's client list: " /ip:port[..](..)" lines and a blank line
            }

            if (line.StartsWith("READ-ONLY mode", StringComparison.Ordinal))
            {
                readOnly = true;
                continue;
            }

            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"srvr line {lineNumber} is not 'Key: value': \"{MntrParser.Shorten(line)}\"");
            }

            var key = line[..colon];
            var value = line[(colon + 2)..].Trim();
            switch (key)
            {
                case "Zookeeper version": version = value.ToString(); break;
                case "Mode": mode = MntrFields.Mode(value); break;
                case "Zxid": zxid = Hex(value) ?? throw Bad(lineNumber, key, value, "hex such as 0x100000003"); break;
                case "Latency min/avg/max": (min, avg, max) = Latency(value) ?? throw Bad(lineNumber, key, value, "three numbers such as 0/0.5/3"); break;
                case "Received": received = Long(value) ?? throw Bad(lineNumber, key, value, "an integer"); break;
                case "Sent": sent = Long(value) ?? throw Bad(lineNumber, key, value, "an integer"); break;
                case "Connections": connections = Long(value) is long c and >= 0 and <= int.MaxValue ? c : throw Bad(lineNumber, key, value, "a count"); break;
                case "Outstanding": outstanding = Long(value) ?? throw Bad(lineNumber, key, value, "an integer"); break;
                case "Node count": nodeCount = Long(value) ?? throw Bad(lineNumber, key, value, "an integer"); break;
            }
        }

        return new SrvrReport
        {
            Version = version ?? "",
            Mode = mode ?? throw Missing("Mode"),
            Zxid = zxid ?? throw Missing("Zxid"),
            LatencyMin = min,
            LatencyAvg = avg,
            LatencyMax = max,
            Received = received,
            Sent = sent,
            Connections = (int)connections,
            Outstanding = outstanding,
            NodeCount = nodeCount,
            ReadOnly = readOnly,
            Source = text,
        };

        static FormatException Missing(string key) => new($"srvr: no '{key}:' line (is this a ZooKeeper srvr answer?)");
    }

    // Every "Key: value" line, for SrvrReport.Values.
    internal static Dictionary<string, string> ReadValues(ReadOnlySpan<char> text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in text.EnumerateLines())
        {
            var line = rawLine.TrimEnd('\r');
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0 && line[0] != ' ')
            {
                values[line[..colon].ToString()] = line[(colon + 2)..].Trim().ToString();
            }
        }

        return values;
    }

    private static FormatException Bad(int line, ReadOnlySpan<char> key, ReadOnlySpan<char> value, string what) =>
        new($"srvr line {line}: '{key}' must be {what} (was \"{MntrParser.Shorten(value)}\")");

    private static long? Long(ReadOnlySpan<char> value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null;

    private static long? Hex(ReadOnlySpan<char> value) =>
        value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
        && long.TryParse(value[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var zxid) ? zxid : null;

    // "min/avg/max", e.g. "0/0.5/3"
    private static (double, double, double)? Latency(ReadOnlySpan<char> value)
    {
        Span<Range> parts = stackalloc Range[4];
        return value.Split(parts, '/') == 3
            && double.TryParse(value[parts[0]], NumberStyles.Float, CultureInfo.InvariantCulture, out var min)
            && double.TryParse(value[parts[1]], NumberStyles.Float, CultureInfo.InvariantCulture, out var avg)
            && double.TryParse(value[parts[2]], NumberStyles.Float, CultureInfo.InvariantCulture, out var max)
                ? (min, avg, max)
                : null;
    }
}
