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

    /// <summary>Every <c>Key: value</c> line as printed.</summary>
    public required IReadOnlyDictionary<string, string> Values { get; init; }
}

/// <summary>Parses ZooKeeper's <c>srvr</c> answer; also accepts <c>stat</c>, whose client list it skips.</summary>
public static class SrvrParser
{
    /// <exception cref="FormatException">the not-serving line, a malformed line, or no <c>Zxid:</c> / <c>Mode:</c>.</exception>
    public static SrvrReport Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (FourLetterWordClient.IsNotServing(text))
        {
            throw new FormatException($"srvr: the member is not serving requests (\"{FourLetterWordClient.NotServingText}\")");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNumbers = new Dictionary<string, int>(StringComparer.Ordinal);
        var readOnly = false;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0 || line[0] == ' ' || line == "Clients:")
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
                throw new FormatException($"srvr line {i + 1} is not 'Key: value': \"{MntrParser.Shorten(line)}\"");
            }

            var key = line[..colon];
            values[key] = line[(colon + 2)..].Trim();
            lineNumbers[key] = i + 1;
        }

        string Required(string key) => values.TryGetValue(key, out var v)
            ? v
            : throw new FormatException($"srvr: no '{key}:' line (is this a ZooKeeper srvr answer?)");

        FormatException Bad(string key, string what) =>
            new($"srvr line {lineNumbers[key]}: '{key}' must be {what} (was \"{MntrParser.Shorten(values[key])}\")");

        long Long(string key) => !values.TryGetValue(key, out var v) ? 0
            : long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : throw Bad(key, "an integer");

        var zxidText = Required("Zxid");
        if (!zxidText.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            || !long.TryParse(zxidText.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var zxid))
        {
            throw Bad("Zxid", "hex such as 0x100000003");
        }

        double min = 0, avg = 0, max = 0;
        if (values.TryGetValue("Latency min/avg/max", out var latency))
        {
            var parts = latency.Split('/');
            if (parts.Length != 3
                || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out min)
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out avg)
                || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out max))
            {
                throw Bad("Latency min/avg/max", "three numbers such as 0/0.5/3");
            }
        }

        return new SrvrReport
        {
            Version = values.GetValueOrDefault("Zookeeper version", ""),
            Mode = Required("Mode"),
            Zxid = zxid,
            LatencyMin = min,
            LatencyAvg = avg,
            LatencyMax = max,
            Received = Long("Received"),
            Sent = Long("Sent"),
            Connections = checked((int)Long("Connections")),
            Outstanding = Long("Outstanding"),
            NodeCount = Long("Node count"),
            ReadOnly = readOnly,
            Values = values,
        };
    }
}
