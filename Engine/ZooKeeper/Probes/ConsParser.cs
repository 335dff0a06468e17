using System.Globalization;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>
/// Parses ZooKeeper's <c>cons</c> answer: one line per client connection, then a blank line. A line is
/// <c> /ip:port[interestOps](queued=…,recved=…,sent=…,sid=0x…,lop=…,est=…,to=…,lcxid=0x…,lzxid=0x…,lresp=…,llat=…,minlat=…,avglat=…,maxlat=…)</c>
/// (<c>ServerCnxn.dumpConnectionInfo</c> in 3.8); everything from <c>sid</c> on is printed only for a connection with
/// a session, and <c>lcxid</c> only after its first request. Fields are read by name, in any order; unknown ones are
/// skipped. <c>stat</c>'s client lines are the same without the session fields.
/// </summary>
public static class ConsParser
{
    /// <exception cref="FormatException">
    /// the not-serving line, a line that is not <c>address[ops](key=value,…)</c>, a known field with a malformed value,
    /// or no <c>queued</c>/<c>recved</c>/<c>sent</c>; the message names the line.
    /// </exception>
    public static IReadOnlyList<ClientConnection> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (FourLetterWordClient.IsNotServing(text))
        {
            throw new FormatException($"cons: the member is not serving requests (\"{FourLetterWordClient.NotServingText}\")");
        }

        var connections = new List<ClientConnection>();
        var lineNumber = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.Length > 0)
            {
                connections.Add(ParseLine(line, lineNumber));
            }
        }

        return connections;
    }

    private static ClientConnection ParseLine(ReadOnlySpan<char> line, int lineNumber)
    {
        // The address may itself hold brackets ("/[0:0:0:0:0:0:0:1]:5000"), so the interest ops are the last
        // "[…]" before the "(" that opens the fields; the fields hold no parentheses.
        var open = line.IndexOf("](", StringComparison.Ordinal);
        var opsStart = open < 0 ? -1 : line[..open].LastIndexOf('[');
        if (opsStart <= 0 || line[^1] != ')')
        {
            throw Bad(lineNumber, line, "is not 'address[ops](key=value,…)'");
        }

        if (!int.TryParse(line[(opsStart + 1)..open], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _))
        {
            throw Bad(lineNumber, line, "has interest ops that are not hex");
        }

        var address = Address(line[..opsStart]) ?? throw Bad(lineNumber, line, "does not start with an address such as /127.0.0.1:40370");
        var fields = line[(open + 2)..^1];
        long? queued = null, received = null, sent = null, session = null, cxid = null, zxid = null, lastResponse = null;
        double? lastLatency = null, min = null, avg = null, max = null;
        string? operation = null;
        DateTimeOffset? established = null;
        TimeSpan? timeout = null;
        foreach (var range in fields.Split(','))
        {
            var field = fields[range].Trim();
            var eq = field.IndexOf('=');
            if (eq <= 0)
            {
                throw Bad(lineNumber, line, $"has a field that is not key=value (\"{MntrParser.Shorten(field)}\")");
            }

            var key = field[..eq];
            var value = field[(eq + 1)..];
            switch (key)
            {
                case "queued": queued = Long(value) ?? throw BadValue(lineNumber, key, value, "an integer"); break;
                case "recved": received = Long(value) ?? throw BadValue(lineNumber, key, value, "an integer"); break;
                case "sent": sent = Long(value) ?? throw BadValue(lineNumber, key, value, "an integer"); break;
                case "sid": session = Hex(value) ?? throw BadValue(lineNumber, key, value, "hex such as 0x30000c85bbf0000"); break;
                case "lop": operation = value.ToString(); break;
                case "est": established = UnixMs(value) ?? throw BadValue(lineNumber, key, value, "ms since 1970"); break;
                case "to": timeout = Long(value) is long to and >= 0 ? TimeSpan.FromMilliseconds(to) : throw BadValue(lineNumber, key, value, "ms"); break;
                case "lcxid": cxid = Hex(value) ?? throw BadValue(lineNumber, key, value, "hex such as 0x1"); break;
                case "lzxid": zxid = NoneIfMinusOne(Hex(value) ?? throw BadValue(lineNumber, key, value, "hex such as 0x100000003")); break;
                case "lresp": lastResponse = Long(value) ?? throw BadValue(lineNumber, key, value, "an integer"); break;
                case "llat": lastLatency = Ms(value) ?? throw BadValue(lineNumber, key, value, "ms"); break;
                case "minlat": min = Ms(value) ?? throw BadValue(lineNumber, key, value, "ms"); break;
                case "avglat": avg = Ms(value) ?? throw BadValue(lineNumber, key, value, "ms"); break;
                case "maxlat": max = Ms(value) ?? throw BadValue(lineNumber, key, value, "ms"); break;
            }
        }

        return new ClientConnection
        {
            Address = address.Length == 0 ? null : address,
            Queued = queued ?? throw Missing(lineNumber, "queued"),
            Received = received ?? throw Missing(lineNumber, "recved"),
            Sent = sent ?? throw Missing(lineNumber, "sent"),
            SessionId = session,
            LastOperation = operation,
            Established = established,
            SessionTimeout = timeout,
            LastCxid = cxid,
            LastZxid = zxid,
            LastResponseMs = lastResponse,
            LastLatency = lastLatency,
            MinLatency = min,
            AvgLatency = avg,
            MaxLatency = max,
        };
    }

    /// <summary>
    /// Java's <c>InetSocketAddress</c> as <c>ip:port</c>: <c>/127.0.0.1:40370</c> and <c>name/127.0.0.1:40370</c> both
    /// become <c>127.0.0.1:40370</c>, as the AdminServer writes it. Empty for Java's <c>null</c> (a closing connection);
    /// null when it is no address.
    /// </summary>
    internal static string? Address(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        if (text.SequenceEqual("null"))
        {
            return "";
        }

        var slash = text.LastIndexOf('/');
        var address = slash < 0 ? text : text[(slash + 1)..];
        var colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? address.ToString()
            : null;
    }

    /// <summary>ZooKeeper prints -1 for "none yet" (a zxid or cxid before the first reply).</summary>
    internal static long? NoneIfMinusOne(long value) => value == -1 ? null : value;

    private static long? Long(ReadOnlySpan<char> value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null;

    private static double? Ms(ReadOnlySpan<char> value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0 ? ms : null;

    // Long.toHexString: unsigned, so -1 is 0xffffffffffffffff.
    private static long? Hex(ReadOnlySpan<char> value) =>
        value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
        && ulong.TryParse(value[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex) ? unchecked((long)hex) : null;

    private static DateTimeOffset? UnixMs(ReadOnlySpan<char> value) =>
        Long(value) is long ms && ms >= DateTimeOffset.MinValue.ToUnixTimeMilliseconds() && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    private static FormatException Bad(int line, ReadOnlySpan<char> text, string what) =>
        new($"cons line {line} {what}: \"{MntrParser.Shorten(text)}\"");

    private static FormatException BadValue(int line, ReadOnlySpan<char> key, ReadOnlySpan<char> value, string what) =>
        new($"cons line {line}: '{key}' must be {what} (was \"{MntrParser.Shorten(value)}\")");

    private static FormatException Missing(int line, string key) =>
        new($"cons line {line} has no '{key}=' field (is this a ZooKeeper cons answer?)");
}
