using System.Globalization;
using System.Text;
using System.Text.Json;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

public static partial class AdminServerParser
{
    /// <summary>
    /// <c>connections</c> (alias <c>cons</c>): <c>connections</c> and <c>secure_connections</c>, arrays of
    /// <c>ServerCnxn.getConnectionInfo</c> objects. Read into the same <see cref="ClientConnection"/>s as the
    /// four-letter word: a connection without a session (<c>session_id</c> 0) has no session fields, -1 means "none
    /// yet", and the address is <c>ip:port</c>. Unknown fields are skipped.
    /// </summary>
    /// <exception cref="FormatException">not JSON, an error answer (the message quotes it), no <c>connections</c> array, or a field of the wrong type.</exception>
    public static IReadOnlyList<ClientConnection> ParseConnections(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParseConnections(Encoding.UTF8.GetBytes(json));
    }

    // From the pooled answer, read in place.
    internal static IReadOnlyList<ClientConnection> ParseConnections(ReadOnlyMemory<byte> json)
    {
        const string Answer = "AdminServer connections";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw NotJson(Answer, e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"{Answer}: the answer is not a JSON object: \"{MntrParser.Shorten(root.GetRawText())}\"");
            }

            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            {
                var message = error.ValueKind == JsonValueKind.String ? error.GetString() ?? "" : error.GetRawText();
                throw new FormatException(message == FourLetterWordClient.NotServingText
                    ? $"{Answer}: the member is not serving requests (\"{message}\")"
                    : $"{Answer}: the AdminServer answered an error: \"{MntrParser.Shorten(message)}\"");
            }

            if (!root.TryGetProperty("connections", out var plain) || plain.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"{Answer}: no connections array (is this a ZooKeeper AdminServer?)");
            }

            var connections = new List<ClientConnection>();
            Add(plain, secure: false);
            if (root.TryGetProperty("secure_connections", out var secure) && secure.ValueKind == JsonValueKind.Array)
            {
                Add(secure, secure: true);
            }

            return connections;

            void Add(JsonElement array, bool secure)
            {
                var index = 0;
                foreach (var item in array.EnumerateArray())
                {
                    connections.Add(ReadConnection(item, new Where(Answer, secure, index++)));
                }
            }
        }
    }

    private static ClientConnection ReadConnection(JsonElement item, Where where)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{where} is not an object (was {item.ValueKind})");
        }

        var address = item.TryGetProperty("remote_socket_address", out var a) && a.ValueKind == JsonValueKind.String
            ? ConsParser.Address(a.GetString()) ?? throw new FormatException($"{where}: remote_socket_address is not ip:port (was \"{MntrParser.Shorten(a.GetString()!)}\")")
            : "";
        var connection = new ClientConnection
        {
            Address = address.Length == 0 ? null : address,
            Secure = where.Secure,
            Queued = Long(item, "outstanding_requests", where) ?? 0,
            Received = Long(item, "packets_received", where) ?? throw new FormatException($"{where} has no packets_received (is this a ZooKeeper AdminServer?)"),
            Sent = Long(item, "packets_sent", where) ?? throw new FormatException($"{where} has no packets_sent (is this a ZooKeeper AdminServer?)"),
        };
        if (Long(item, "session_id", where) is not long session || session == 0)
        {
            return connection; // as cons: the session fields are printed only for a connection with a session
        }

        var cxid = Long(item, "last_cxid", where);
        return connection with
        {
            SessionId = session,
            LastOperation = item.TryGetProperty("last_operation", out var op) && op.ValueKind == JsonValueKind.String ? op.GetString() : null,
            Established = Established(item, where),
            SessionTimeout = Long(item, "session_timeout", where) is long to ? TimeSpan.FromMilliseconds(to) : null,
            LastCxid = cxid >= 0 ? cxid : null,
            LastZxid = Long(item, "last_zxid", where) is long zxid ? ConsParser.NoneIfMinusOne(zxid) : null,
            LastResponseMs = Long(item, "last_response_time", where),
            LastLatency = Long(item, "last_latency", where),
            MinLatency = Long(item, "min_latency", where),
            AvgLatency = Long(item, "avg_latency", where),
            MaxLatency = Long(item, "max_latency", where),
        };
    }

    private static long? Long(JsonElement item, string name, Where where)
    {
        if (!item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var l)
            ? l
            : throw new FormatException($"{where}: {name} must be an integer (was {MntrParser.Shorten(value.GetRawText())})");
    }

    // Jackson writes a java.util.Date as ms since 1970 unless told otherwise; an ISO text is read too.
    private static DateTimeOffset? Established(JsonElement item, Where where)
    {
        if (!item.TryGetProperty("established", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var ms)
            && ms >= DateTimeOffset.MinValue.ToUnixTimeMilliseconds() && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : throw new FormatException($"{where}: established must be ms since 1970 (was {MntrParser.Shorten(value.GetRawText())})");
    }

    // Which connection a message is about, made into text only when there is a message.
    private readonly record struct Where(string Answer, bool Secure, int Index)
    {
        public override string ToString() => $"{Answer}: {(Secure ? "secure_connections" : "connections")}[{Index}]";
    }
}
