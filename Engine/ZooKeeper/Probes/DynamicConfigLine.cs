using System.Globalization;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>
/// Reads ZooKeeper's membership lines, the inverse of <see cref="MemberSpec.ToConfigLine"/>:
/// <c>server.&lt;id&gt;=&lt;host&gt;:&lt;quorumPort&gt;:&lt;electionPort&gt;[:participant|:observer][;[&lt;clientHost&gt;:]&lt;clientPort&gt;]</c>.
/// </summary>
public static class DynamicConfigLine
{
    /// <summary>Parses one <c>server.N=…</c> line (the <c>server.</c> prefix is required).</summary>
    /// <exception cref="FormatException">the line is not a membership line.</exception>
    public static MemberSpec Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        FormatException Bad(string why) => new($"membership line \"{MntrParser.Shorten(line)}\": {why}");

        var eq = line.IndexOf('=');
        if (!line.StartsWith("server.", StringComparison.Ordinal) || eq < 0)
        {
            throw Bad("expected server.<id>=<host>:<quorumPort>:<electionPort>[:role][;<clientPort>]");
        }

        if (!int.TryParse(line.AsSpan(7, eq - 7), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            throw Bad("the server id must be a number");
        }

        var value = line[(eq + 1)..].Trim();
        var semicolon = value.IndexOf(';');
        var serverPart = semicolon < 0 ? value : value[..semicolon];
        var clientPart = semicolon < 0 ? null : value[(semicolon + 1)..];

        var (host, rest) = SplitHost(serverPart) ?? throw Bad("no host");
        var fields = rest.Split(':');
        if (fields.Length is < 2 or > 3)
        {
            throw Bad("expected <host>:<quorumPort>:<electionPort>[:role]");
        }

        var role = fields.Length == 3
            ? fields[2] switch
            {
                "participant" => MemberRole.Participant,
                "observer" => MemberRole.Observer,
                _ => throw Bad($"role must be participant or observer (was '{fields[2]}')"),
            }
            : MemberRole.Participant;

        var clientPort = 0;
        if (!string.IsNullOrEmpty(clientPart))
        {
            var portText = SplitHost(clientPart) is var (_, p) && p.Length > 0 ? p : clientPart;
            clientPort = Port(portText, "client");
        }

        return new MemberSpec
        {
            ServerId = id,
            Role = role,
            Host = host,
            QuorumPort = Port(fields[0], "quorum"),
            ElectionPort = Port(fields[1], "election"),
            ClientPort = clientPort,
        };

        int Port(string text, string kind) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
                ? port
                : throw Bad($"{kind} port must be a number between 1 and 65535 (was '{text}')");
    }

    /// <summary>Every <c>server.N=</c> line of a dynamic config file or a <c>conf</c> membership section.</summary>
    public static IReadOnlyList<MemberSpec> ParseMembers(IEnumerable<string> lines) =>
        lines.Select(l => l.Trim()).Where(l => l.StartsWith("server.", StringComparison.Ordinal)).Select(Parse).ToArray();

    // "host:rest", "[v6]:rest"; for a bare client port ("2181") returns null.
    private static (string Host, string Tail)? SplitHost(string text)
    {
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            return close < 0 ? null : (text[1..close], text[(close + 1)..].TrimStart(':'));
        }

        var colon = text.IndexOf(':');
        return colon <= 0 ? null : (text[..colon], text[(colon + 1)..]);
    }
}
