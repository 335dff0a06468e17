using System.Globalization;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>ZooKeeper's <c>conf</c> answer: the member's running configuration.</summary>
public sealed record ConfReport
{
    /// <summary><c>serverId</c> (the member's myid); 0 on a standalone server.</summary>
    public required int ServerId { get; init; }

    /// <summary><c>peerType</c>: 0 participant, 1 observer; null on a standalone server.</summary>
    public MemberRole? Role { get; init; }

    /// <summary><c>clientPort</c>.</summary>
    public int ClientPort { get; init; }

    /// <summary><c>tickTime</c> in ms.</summary>
    public int TickTime { get; init; }

    /// <summary>The <c>server.N=</c> lines after <c>membership:</c>.</summary>
    public IReadOnlyList<MemberSpec> Members { get; init; } = [];

    /// <summary>The <c>version=</c> line after the membership (hex, no <c>0x</c>): the config's zxid; 0 when absent.</summary>
    public long ConfigVersion { get; init; }

    /// <summary>Every <c>key=value</c> line before the membership, as printed.</summary>
    public required IReadOnlyDictionary<string, string> Values { get; init; }
}

/// <summary>Parses ZooKeeper's <c>conf</c> answer: <c>key=value</c> lines, then <c>membership:</c> and the dynamic config.</summary>
public static class ConfParser
{
    /// <exception cref="FormatException">the not-serving line, a line that is not <c>key=value</c>, or no <c>serverId</c>.</exception>
    public static ConfReport Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (FourLetterWordClient.IsNotServing(text))
        {
            throw new FormatException($"conf: the member is not serving requests (\"{FourLetterWordClient.NotServingText}\")");
        }

        var values = new Dictionary<string, string>(32, StringComparer.Ordinal);
        var members = new List<MemberSpec>();
        long version = 0;
        var inMembership = false;
        var lineNumber = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("membership:", StringComparison.Ordinal))
            {
                inMembership = true;
                continue;
            }

            var eq = line.IndexOf('=');
            if (eq <= 0)
            {
                throw new FormatException($"conf line {lineNumber} is not 'key=value': \"{MntrParser.Shorten(line)}\"");
            }

            if (!inMembership)
            {
                values[line[..eq].ToString()] = line[(eq + 1)..].ToString();
            }
            else if (line.StartsWith("version=", StringComparison.Ordinal))
            {
                if (!long.TryParse(line[(eq + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out version))
                {
                    throw new FormatException($"conf line {lineNumber}: version must be hex such as 100000000 (was \"{MntrParser.Shorten(line[(eq + 1)..])}\")");
                }
            }
            else if (line.StartsWith("server.", StringComparison.Ordinal))
            {
                members.Add(DynamicConfigLine.Parse(line.ToString()));
            }
        }

        int Int(string key, bool required = false)
        {
            if (!values.TryGetValue(key, out var v))
            {
                return required ? throw new FormatException($"conf: no {key} line (is this a ZooKeeper conf answer?)") : 0;
            }

            return int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new FormatException($"conf: {key} must be an integer (was \"{MntrParser.Shorten(v)}\")");
        }

        return new ConfReport
        {
            ServerId = Int("serverId", required: true),
            Role = values.ContainsKey("peerType") ? (Int("peerType") == 1 ? MemberRole.Observer : MemberRole.Participant) : null,
            ClientPort = Int("clientPort"),
            TickTime = Int("tickTime"),
            Members = members,
            ConfigVersion = version,
            Values = values,
        };
    }
}
