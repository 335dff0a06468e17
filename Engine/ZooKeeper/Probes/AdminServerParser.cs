using System.Text;
using System.Text.Json;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>
/// Parses the JSON of ZooKeeper's AdminServer commands (<c>GET /commands/&lt;name&gt;</c>) into the reports the
/// four-letter words give: <c>server_stats</c> (alias <c>srvr</c>) into a <see cref="SrvrReport"/>, <c>monitor</c>
/// (alias <c>mntr</c>) into a <see cref="MntrReport"/>. Every answer is an object with <c>command</c> and
/// <c>error</c> (null when it worked) beside the command's fields; unknown fields are skipped.
/// </summary>
public static partial class AdminServerParser
{
    /// <summary>True when the answer is the AdminServer's "not currently serving requests" error (no quorum).</summary>
    public static bool IsNotServing(ReadOnlySpan<byte> json) => ErrorOf(json) == FourLetterWordClient.NotServingText;

    /// <summary>
    /// <c>server_stats</c>: <c>version</c>, <c>read_only</c>, <c>node_count</c> and, in <c>server_stats</c>,
    /// <c>server_state</c>, <c>last_processed_zxid</c>, latencies, packet counters, client connections and outstanding requests.
    /// </summary>
    /// <exception cref="FormatException">not JSON, an error answer (the message quotes it), or no server state or zxid.</exception>
    public static SrvrReport ParseServerStats(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParseServerStats(Encoding.UTF8.GetBytes(json)) with { Source = json.AsMemory() };
    }

    // From the pooled answer; the caller sets Source (the text Values are read from).
    internal static SrvrReport ParseServerStats(ReadOnlySpan<byte> json)
    {
        const string Answer = "AdminServer server_stats";
        string? version = null, mode = null;
        long? zxid = null;
        double min = 0, avg = 0, max = 0;
        long received = 0, sent = 0, connections = 0, outstanding = 0, nodeCount = 0;
        var readOnly = false;
        Span<char> name = stackalloc char[64];
        var reader = Open(json, Answer);
        try
        {
            while (NextProperty(ref reader, depth: 0))
            {
                switch (name[..Chars(ref reader, name)])
                {
                    case "server_stats":
                        reader.Read();
                        Expect(ref reader, JsonTokenType.StartObject, Answer, "server_stats");
                        while (NextProperty(ref reader, depth: 1))
                        {
                            switch (name[..Chars(ref reader, name)])
                            {
                                case "server_state": mode = ReadString(ref reader, Answer, "server_state"); break;
                                case "last_processed_zxid": zxid = ReadLong(ref reader, Answer, "last_processed_zxid"); break;
                                case "min_latency": min = ReadDouble(ref reader, Answer, "min_latency"); break;
                                case "avg_latency": avg = ReadDouble(ref reader, Answer, "avg_latency"); break;
                                case "max_latency": max = ReadDouble(ref reader, Answer, "max_latency"); break;
                                case "packets_received": received = ReadLong(ref reader, Answer, "packets_received"); break;
                                case "packets_sent": sent = ReadLong(ref reader, Answer, "packets_sent"); break;
                                case "num_alive_client_connections": connections = ReadLong(ref reader, Answer, "num_alive_client_connections"); break;
                                case "outstanding_requests": outstanding = ReadLong(ref reader, Answer, "outstanding_requests"); break;
                                default: SkipValue(ref reader); break;
                            }
                        }

                        break;
                    case "version": version = ReadString(ref reader, Answer, "version"); break;
                    case "read_only": readOnly = ReadTrue(ref reader); break;
                    case "node_count": nodeCount = ReadLong(ref reader, Answer, "node_count"); break;
                    case "error": ThrowOnError(ref reader, Answer); break;
                    default: SkipValue(ref reader); break;
                }
            }
        }
        catch (JsonException e)
        {
            throw NotJson(Answer, e);
        }

        return new SrvrReport
        {
            Version = version ?? "",
            Mode = mode ?? throw new FormatException($"{Answer}: no server_stats.server_state (is this a ZooKeeper AdminServer?)"),
            Zxid = zxid ?? throw new FormatException($"{Answer}: no server_stats.last_processed_zxid (is this a ZooKeeper AdminServer?)"),
            LatencyMin = min,
            LatencyAvg = avg,
            LatencyMax = max,
            Received = received,
            Sent = sent,
            Connections = connections is >= 0 and <= int.MaxValue ? (int)connections
                : throw new FormatException($"{Answer}: num_alive_client_connections is out of range ({connections})"),
            Outstanding = outstanding,
            NodeCount = nodeCount,
            ReadOnly = readOnly,
            SourceIsJson = true,
        };
    }

    /// <summary><c>monitor</c>: the metrics of <c>mntr</c>, one field each, named without the <c>zk_</c> prefix.</summary>
    /// <exception cref="FormatException">not JSON, an error answer, a non-numeric value for a numeric metric, or no <c>server_state</c>.</exception>
    public static MntrReport ParseMonitor(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParseMonitor(Encoding.UTF8.GetBytes(json)) with { Source = json.AsMemory() };
    }

    // From the pooled answer; the caller sets Source (the text Values are read from).
    internal static MntrReport ParseMonitor(ReadOnlySpan<byte> json)
    {
        const string Answer = "AdminServer monitor";
        var fields = new MntrFields(Answer);
        var metrics = 0;
        Span<char> name = stackalloc char[128];
        Span<char> value = stackalloc char[256];
        var reader = Open(json, Answer);
        try
        {
            while (NextProperty(ref reader, depth: 0))
            {
                if (reader.ValueTextEquals("error"u8))
                {
                    ThrowOnError(ref reader, Answer);
                    continue;
                }

                var used = !reader.ValueIsEscaped && MntrFields.Reads(reader.ValueSpan);
                var nameLength = used ? Chars(ref reader, name) : 0;
                reader.Read();
                metrics++;
                if (used && reader.TokenType is JsonTokenType.Number or JsonTokenType.String)
                {
                    fields.Read(name[..nameLength], value[..Chars(ref reader, value)], line: 0);
                }
                else
                {
                    reader.Skip(); // fields the portal does not read; objects and arrays carry none
                }
            }
        }
        catch (JsonException e)
        {
            throw NotJson(Answer, e);
        }

        return fields.ToReport(metrics) with { SourceIsJson = true };
    }

    /// <summary>Every scalar field of <paramref name="json"/> as text, nested names joined by dots, after <paramref name="prefix"/>; <c>command</c> and <c>error</c> left out.</summary>
    internal static Dictionary<string, string> Flatten(ReadOnlyMemory<char> json, string prefix)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        Add(document.RootElement, prefix, top: true);
        return values;

        void Add(JsonElement element, string path, bool top)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (top && property.Name is "command" or "error")
                {
                    continue;
                }

                var key = path + property.Name;
                switch (property.Value.ValueKind)
                {
                    case JsonValueKind.Object: Add(property.Value, key + ".", top: false); break;
                    case JsonValueKind.String: values[key] = property.Value.GetString()!; break;
                    default: values[key] = property.Value.GetRawText(); break;
                }
            }
        }
    }

    // The top-level "error" string, null when there is none (or the answer is not a JSON object).
    private static string? ErrorOf(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (NextProperty(ref reader, depth: 0))
            {
                var isError = reader.ValueTextEquals("error"u8);
                reader.Read();
                if (isError)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static Utf8JsonReader Open(ReadOnlySpan<byte> json, string answer)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException($"{answer}: the answer is not a JSON object: \"{MntrParser.Shorten(Encoding.UTF8.GetString(json[..Math.Min(json.Length, 200)]).Trim())}\"");
            }
        }
        catch (JsonException e)
        {
            throw NotJson(answer, e);
        }

        return reader;
    }

    private static FormatException NotJson(string answer, JsonException e) =>
        new($"{answer}: the answer is not valid JSON ({e.Message})", e);

    // Moves to the next property name of the object at depth; false at its end.
    private static bool NextProperty(ref Utf8JsonReader reader, int depth)
    {
        while (reader.Read())
        {
            if (reader.CurrentDepth == depth && reader.TokenType == JsonTokenType.EndObject)
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                return true;
            }
        }

        throw new FormatException("the JSON ended inside an object");
    }

    private static void SkipValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }

    private static bool ReadTrue(ref Utf8JsonReader reader)
    {
        reader.Read();
        var value = reader.TokenType == JsonTokenType.True;
        reader.Skip();
        return value;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string answer, string name)
    {
        if (reader.TokenType != type)
        {
            throw new FormatException($"{answer}: {name} must be {type} (was {reader.TokenType})");
        }
    }

    private static void ThrowOnError(ref Utf8JsonReader reader, string answer)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        var error = reader.TokenType == JsonTokenType.String ? reader.GetString() : "(not a string)";
        throw new FormatException(error == FourLetterWordClient.NotServingText
            ? $"{answer}: the member is not serving requests (\"{error}\")"
            : $"{answer}: the AdminServer answered an error: \"{MntrParser.Shorten(error ?? "")}\"");
    }

    private static string ReadString(ref Utf8JsonReader reader, string answer, string name)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new FormatException($"{answer}: {name} must be a string (was {reader.TokenType})");
        }

        Span<char> chars = stackalloc char[64];
        return reader.ValueSpan.Length <= chars.Length && !reader.ValueIsEscaped
            ? MntrFields.Mode(chars[..Encoding.UTF8.GetChars(reader.ValueSpan, chars)])
            : reader.GetString()!;
    }

    private static long ReadLong(ref Utf8JsonReader reader, string answer, string name)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value)
            ? value
            : throw new FormatException($"{answer}: {name} must be an integer (was {Describe(ref reader)})");
    }

    private static double ReadDouble(ref Utf8JsonReader reader, string answer, string name)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var value)
            ? value
            : throw new FormatException($"{answer}: {name} must be a number (was {Describe(ref reader)})");
    }

    private static string Describe(ref Utf8JsonReader reader) =>
        reader.TokenType is JsonTokenType.String or JsonTokenType.Number
            ? "\"" + MntrParser.Shorten(Encoding.UTF8.GetString(reader.ValueSpan)) + "\""
            : reader.TokenType.ToString();

    // The current name or scalar as chars in destination; 0 when it does not fit (no metric is that long).
    private static int Chars(ref Utf8JsonReader reader, scoped Span<char> destination)
    {
        if (!reader.ValueIsEscaped)
        {
            return Encoding.UTF8.GetMaxCharCount(reader.ValueSpan.Length) <= destination.Length || Encoding.UTF8.GetCharCount(reader.ValueSpan) <= destination.Length
                ? Encoding.UTF8.GetChars(reader.ValueSpan, destination)
                : 0;
        }

        var text = reader.GetString() ?? "";
        return text.Length <= destination.Length && text.AsSpan().TryCopyTo(destination) ? text.Length : 0;
    }
}
