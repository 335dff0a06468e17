using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

public sealed partial class ZooKeeperProbe
{
    /// <summary>
    /// <c>srvr</c>, then <c>mntr</c>, then <c>conf</c> when its cached answer is stale, each word a TCP connection. In
    /// sequence, not together: the member counts a word's connection among its clients, and one word at a time makes
    /// that exactly one, which the status leaves out. Sending them together made no difference to the CPU per probe
    /// above this machine's run-to-run noise (docs/benchmarks.md, zk-probe).
    /// </summary>
    private async Task<MemberStatus> ProbeFourLetterWordsAsync(MemberSpec member, DateTimeOffset at, CancellationToken cancellationToken)
    {
        string srvrText;
        try
        {
            using var srvrAnswer = await client.ExchangeAsync(member.Host, member.ClientPort, "srvr", cancellationToken).ConfigureAwait(false);
            srvrText = srvrAnswer.ToString();
        }
        catch (FourLetterWordException e) when (e.Failure == FourLetterWordFailure.ConnectionFailed)
        {
            return await DownAsync(member, at, e.Message, raw: null, cancellationToken).ConfigureAwait(false);
        }
        catch (FourLetterWordException e)
        {
            // Refused or timed out; srvr is never refused as not whitelisted (3.8 always adds it).
            return MemberStatus.Down(member.ServerId, at, e.Message);
        }

        if (FourLetterWordClient.IsNotServing(srvrText))
        {
            return Looking(member, at, "srvr:\n" + srvrText);
        }

        SrvrReport srvr;
        try
        {
            srvr = SrvrParser.Parse(srvrText);
        }
        catch (FormatException e)
        {
            return await DownAsync(member, at, UnreadableMessage(member, e), "srvr:\n" + srvrText, cancellationToken).ConfigureAwait(false);
        }

        PooledAnswer? mntr;
        try
        {
            mntr = await OptionalAsync(member, "mntr", cancellationToken).ConfigureAwait(false);
        }
        catch (FourLetterWordException e)
        {
            return MemberStatus.Down(member.ServerId, at, e.Message) with { Raw = "srvr:\n" + srvrText };
        }

        using (mntr)
        {
            return await CompleteAsync(member, at, srvr, new Answers("srvr", srvrText, "mntr", mntr),
                static (raw, range) => MntrParser.Parse(raw.AsMemory()[range]), ownConnections: 1, cancellationToken).ConfigureAwait(false);
        }
    }
}
