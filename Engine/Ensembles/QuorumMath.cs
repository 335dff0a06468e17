namespace QuorumPortal.Engine.Ensembles;

/// <summary>Majority arithmetic over the voting members of an ensemble.</summary>
public static class QuorumMath
{
    /// <summary>Votes needed for a quorum of <paramref name="voters"/> voting members.</summary>
    public static int Majority(int voters)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(voters);
        return voters / 2 + 1;
    }

    /// <summary>Voting members that may fail while a quorum remains.</summary>
    public static int FailuresTolerated(int voters) => voters == 0 ? 0 : voters - Majority(voters);

    /// <summary>Whether <paramref name="votes"/> of <paramref name="voters"/> is a quorum.</summary>
    public static bool IsQuorum(int votes, int voters) => voters > 0 && votes >= Majority(voters);

    /// <summary>Whether the set <paramref name="ackers"/> contains a majority of <paramref name="voterIds"/>.</summary>
    public static bool IsQuorum(IEnumerable<int> ackers, IReadOnlyCollection<int> voterIds)
    {
        // A member that acks twice (a retransmission) still has one vote.
        var votes = new HashSet<int>();
        foreach (var id in ackers)
        {
            if (voterIds.Contains(id))
            {
                votes.Add(id);
            }
        }

        return IsQuorum(votes.Count, voterIds.Count);
    }

    /// <summary>What a change of membership does to the quorum.</summary>
    public static QuorumChange Analyze(IReadOnlyCollection<MemberSpec> before, IReadOnlyCollection<MemberSpec> after)
    {
        var votersBefore = before.Count(m => m.IsVoter);
        var votersAfter = after.Count(m => m.IsVoter);
        return new QuorumChange(
            votersBefore,
            votersAfter,
            before.Count(m => !m.IsVoter),
            after.Count(m => !m.IsVoter),
            Majority(votersBefore),
            Majority(votersAfter),
            FailuresTolerated(votersBefore),
            FailuresTolerated(votersAfter));
    }
}

/// <summary>Quorum before and after a membership change.</summary>
public sealed record QuorumChange(
    int VotersBefore,
    int VotersAfter,
    int ObserversBefore,
    int ObserversAfter,
    int MajorityBefore,
    int MajorityAfter,
    int FailuresToleratedBefore,
    int FailuresToleratedAfter)
{
    /// <summary>An even number of voters tolerates no more failures than one fewer would.</summary>
    public bool AfterIsEven => VotersAfter % 2 == 0 && VotersAfter > 0;

    public bool LosesFaultTolerance => FailuresToleratedAfter < FailuresToleratedBefore;
}
