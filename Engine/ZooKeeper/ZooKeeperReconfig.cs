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
    public static void EnsureValid(string name, EnsembleSettings settings, IReadOnlyList<MemberSpec> current, IReadOnlyList<MemberSpec> joiners, IReadOnlyList<int> leaving) =>
        MembershipChange.EnsureValid(name, settings, current, joiners, leaving);

    /// <summary>
    /// Sends one incremental reconfig and returns the committed configuration. <paramref name="connect"/> opens a
    /// session on members that stay; <paramref name="credentials"/>, when given, are added first: reconfig needs
    /// WRITE on /zookeeper/config, without it ZooKeeper answers NoAuth. When a member refuses the change,
    /// <paramref name="rollBack"/> deals with the joiners and a <see cref="ReconfigurationException"/> says what happened.
    /// </summary>
    public static async Task<(long Version, IReadOnlyList<MemberSpec> Members)> RunAsync(
        string ensemble,
        Func<CancellationToken, Task<ZooKeeperClient>> connect,
        DigestCredentials? credentials,
        IReadOnlyList<MemberSpec> joiners,
        IReadOnlyList<int> leaving,
        long? expectedVersion,
        Func<CancellationToken, Task<JoinerOutcome>> rollBack,
        CancellationToken cancellationToken)
    {
        // A member whose role changes with a reconfig rejoins and drops its clients, so a lost connection is retried;
        // the expected config version (fromConfig) makes the retry safe, and a change already applied is recognised.
        var joiningText = joiners.Count == 0 ? null : string.Join(",", joiners.Select(j => j.ToConfigLine()));
        var leavingText = leaving.Count == 0 ? null : string.Join(",", leaving.Select(id => id.ToString(CultureInfo.InvariantCulture)));
        var joinerIds = joiners.Select(j => j.ServerId).ToArray();
        var sends = 0;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var client = await connect(cancellationToken).ConfigureAwait(false);
                await using (client.ConfigureAwait(false))
                {
                    if (credentials is not null)
                    {
                        await client.AddAuthDigestAsync(credentials.User, credentials.Password, cancellationToken).ConfigureAwait(false);
                    }

                    var before = await client.GetConfigAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                    var (fromVersion, fromMembers) = ParseConfig(Encoding.UTF8.GetString(before.Data));
                    if (sends > 0 && IsApplied(fromMembers, joiners, leaving))
                    {
                        return (fromVersion, fromMembers); // the lost attempt was applied
                    }

                    sends++;
                    var after = await client.ReconfigAsync(joiningText, leavingText, fromConfig: expectedVersion ?? fromVersion, cancellationToken: cancellationToken).ConfigureAwait(false);
                    return ParseConfig(Encoding.UTF8.GetString(after.Data));
                }
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.ConnectionLoss && attempt < MaxAttempts && (sends > 0 || attempt == 1))
            {
            }
            catch (CoordinationException e) when (!e.OutcomeUnknown && e.Error is not (CoordinationError.SessionExpired or CoordinationError.NoQuorum))
            {
                var now = await TryReadConfigAsync(connect, cancellationToken).ConfigureAwait(false);
                if (sends > 1 && now is { } settled && IsApplied(settled.Members, joiners, leaving))
                {
                    return settled; // refused as a repeat (ReconfigInProgress, BadVersion) of an earlier attempt that went through
                }

                if (sends > 1 && now is null)
                {
                    throw ReconfigurationException.Unknown(ensemble, e, joinerIds);
                }

                // Never roll back a joiner that is in the configuration after all.
                var outcome = now is { } n && joiners.Any(j => n.Members.Any(m => m.ServerId == j.ServerId))
                    ? JoinerOutcome.LeftAsIs
                    : await rollBack(cancellationToken).ConfigureAwait(false);
                throw ReconfigurationException.Refused(ensemble, e.Error, e.Message, expectedVersion, now, joinerIds, outcome, e);
            }
            catch (Exception e) when (e is CoordinationException or TimeoutException or IOException or System.Net.Sockets.SocketException && sends == 0)
            {
                var outcome = await rollBack(cancellationToken).ConfigureAwait(false);
                throw ReconfigurationException.Unreachable(ensemble, e, joinerIds, outcome);
            }
            catch (Exception e) when (e is CoordinationException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                throw ReconfigurationException.Unknown(ensemble, e, joinerIds);
            }
        }
    }

    private static bool IsApplied(IReadOnlyList<MemberSpec> members, IReadOnlyList<MemberSpec> joiners, IReadOnlyList<int> leaving) =>
        joiners.All(j => members.Any(m => m.ServerId == j.ServerId && m.Role == j.Role)) && leaving.All(id => members.All(m => m.ServerId != id));

    /// <summary>
    /// The committed configuration as the first member that answers has it, or null when none can be reached. No sync
    /// first: a leader holds a sync while a reconfig is pending, which is exactly when this is read.
    /// </summary>
    public static async Task<(long Version, IReadOnlyList<MemberSpec> Members)?> TryReadConfigAsync(
        Func<CancellationToken, Task<ZooKeeperClient>> connect, CancellationToken cancellationToken)
    {
        try
        {
            var client = await connect(cancellationToken).ConfigureAwait(false);
            await using (client.ConfigureAwait(false))
            {
                return ParseConfig(Encoding.UTF8.GetString((await client.GetConfigAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Data));
            }
        }
        catch (Exception e) when (e is CoordinationException or TimeoutException or IOException or System.Net.Sockets.SocketException)
        {
            return null;
        }
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
