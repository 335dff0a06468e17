using System.Globalization;
using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Client;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.ZooKeeper;

/// <summary>Digest credentials (<c>addauth digest user:password</c>) a backend uses for its own sessions.</summary>
public sealed record DigestCredentials(string User, string Password)
{
    /// <summary>The user only: the password never reaches logs or the UI.</summary>
    public override string ToString() => $"{User}:***";
}

/// <summary>ZooKeeper's incremental reconfig as both ZooKeeper backends send it, and its config text.</summary>
internal static class ZooKeeperReconfig
{
    private const int MaxAttempts = 5;

    /// <summary>Validates the membership that results from adding <paramref name="joiners"/> and removing <paramref name="leaving"/>.</summary>
    public static void EnsureValid(string name, EnsembleSettings settings, IReadOnlyList<MemberSpec> current, IReadOnlyList<MemberSpec> joiners, IReadOnlyList<int> leaving)
    {
        var remaining = current.Where(m => !leaving.Contains(m.ServerId)).ToList();
        var errors = new EnsembleSpec { Name = name, Members = [.. remaining, .. joiners], Settings = settings }.Validate().ToList();
        if (joiners.Count(j => j.IsVoter) > 1)
        {
            // Two new voters at once raise the quorum by two before either has shown it can keep up.
            errors.Add(new("joining", $"add one participant at a time ({joiners.Count(j => j.IsVoter)} were given); observers may join together"));
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }
    }

    /// <summary>
    /// Sends one incremental reconfig and returns the committed configuration. <paramref name="connect"/> opens a
    /// session on members that stay; <paramref name="credentials"/>, when given, are added first: reconfig needs
    /// WRITE on /zookeeper/config, without it ZooKeeper answers NoAuth.
    /// </summary>
    public static async Task<(long Version, IReadOnlyList<MemberSpec> Members)> RunAsync(
        Func<CancellationToken, Task<ZooKeeperClient>> connect,
        DigestCredentials? credentials,
        IReadOnlyList<MemberSpec> joiners,
        IReadOnlyList<int> leaving,
        CancellationToken cancellationToken)
    {
        // A member whose role changes with a reconfig rejoins and drops its clients, so a lost connection is retried;
        // the expected config version (fromConfig) makes the retry safe, and a change already applied is recognised.
        var joiningText = joiners.Count == 0 ? null : string.Join(",", joiners.Select(j => j.ToConfigLine()));
        var leavingText = leaving.Count == 0 ? null : string.Join(",", leaving.Select(id => id.ToString(CultureInfo.InvariantCulture)));
        NodeData? config = null;
        for (var attempt = 1; config is null; attempt++)
        {
            var client = await connect(cancellationToken).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                try
                {
                    if (credentials is not null)
                    {
                        await client.AddAuthDigestAsync(credentials.User, credentials.Password, cancellationToken).ConfigureAwait(false);
                    }

                    var before = await client.GetConfigAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                    var (fromVersion, fromMembers) = ParseConfig(Encoding.UTF8.GetString(before.Data));
                    if (attempt > 1 && joiners.All(j => fromMembers.Any(m => m.ServerId == j.ServerId)) && leaving.All(id => fromMembers.All(m => m.ServerId != id)))
                    {
                        config = before; // the lost attempt was applied
                        break;
                    }

                    config = await client.ReconfigAsync(joiningText, leavingText, fromConfig: fromVersion, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (CoordinationException e) when (e.Error == CoordinationError.ConnectionLoss && attempt < MaxAttempts)
                {
                }
            }
        }

        return ParseConfig(Encoding.UTF8.GetString(config.Data));
    }

    /// <summary>ZooKeeper's dynamic configuration text: <c>server.N=…</c> lines and <c>version=&lt;hex&gt;</c>.</summary>
    public static (long Version, IReadOnlyList<MemberSpec> Members) ParseConfig(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var version = lines.Where(l => l.StartsWith("version=", StringComparison.Ordinal))
            .Select(l => long.Parse(l["version=".Length..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)).FirstOrDefault();
        return (version, DynamicConfigLine.ParseMembers(lines.Where(l => l.StartsWith("server.", StringComparison.Ordinal))));
    }
}
