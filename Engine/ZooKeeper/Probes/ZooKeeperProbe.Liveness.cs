using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>What <c>ruok</c> found.</summary>
/// <param name="Running">
/// The member's process answered as ZooKeeper does: <c>imok</c> (it runs, whether or not it serves), or ZooKeeper's
/// "not in the whitelist" refusal of <c>ruok</c> (3.8 whitelists only <c>srvr</c> by default).
/// </param>
/// <param name="Detail"><c>imok</c>, or what the member answered instead, or why it did not answer.</param>
public sealed record Liveness(bool Running, string Detail);

public sealed partial class ZooKeeperProbe
{
    /// <summary>What ZooKeeper answers to <c>ruok</c> while its process runs, serving or not.</summary>
    public const string ImOk = "imok";

    /// <summary>
    /// <c>ruok</c>: whether <paramref name="member"/>'s process runs. Cheaper than a probe (a 4-byte answer) and
    /// answered while the member has no quorum, when <c>srvr</c> says only "not currently serving requests". Never
    /// throws for a member that does not answer. (The 3.8 AdminServer's <c>ruok</c> is no liveness check: it answers
    /// "not currently serving requests" without a quorum.)
    /// </summary>
    public async Task<Liveness> RuokAsync(MemberSpec member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        try
        {
            var answer = await client.SendAsync(member.Host, member.ClientPort, "ruok", cancellationToken).ConfigureAwait(false);
            return answer.Trim() == ImOk
                ? new Liveness(true, ImOk)
                : new Liveness(false, $"{member.Host}:{member.ClientPort} answered ruok with \"{MntrParser.Shorten(answer.Trim())}\", not imok; is it ZooKeeper?");
        }
        catch (FourLetterWordException e)
        {
            return new Liveness(e.Failure == FourLetterWordFailure.NotWhitelisted, e.Message);
        }
    }

    /// <summary>
    /// A member reported down because <c>srvr</c> failed: when the failure leaves open whether its process runs (the
    /// connection broke, or the answer was not srvr's), <c>ruok</c> tells. Not after a refusal (nothing listens) or a
    /// timeout (the probe's time is spent; a paused process would not answer ruok either).
    /// </summary>
    private async Task<MemberStatus> DownAsync(MemberSpec member, DateTimeOffset at, string error, string? raw, CancellationToken cancellationToken)
    {
        var liveness = await RuokAsync(member, cancellationToken).ConfigureAwait(false);
        return MemberStatus.Down(member.ServerId, at, liveness.Running
            ? $"{error}; its process runs (it answered ruok)"
            : error) with { Raw = raw, ProcessUp = liveness.Running };
    }
}
