using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Portal.Model;

/// <summary>How an operator reads an ensemble's quorum at a glance.</summary>
public enum QuorumHealthKind
{
    /// <summary>Every voter serves under the leader.</summary>
    Healthy,

    /// <summary>A quorum serves, but some voter does not.</summary>
    Degraded,

    /// <summary>No leader with a majority of voters: writes stop.</summary>
    NoQuorum,
}

/// <summary>The quorum health of a snapshot and the words the page and the API use for it.</summary>
public sealed record QuorumHealth(QuorumHealthKind Kind, int FailuresLeft, int ServingVoters, int Voters)
{
    public static QuorumHealth Of(EnsembleSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var kind = !snapshot.HasQuorum ? QuorumHealthKind.NoQuorum
            : snapshot.ServingVoters >= snapshot.VoterCount ? QuorumHealthKind.Healthy
            : QuorumHealthKind.Degraded;
        return new(kind, snapshot.FailuresLeft, snapshot.ServingVoters, snapshot.VoterCount);
    }

    /// <summary>"healthy", "degraded: 1 failure left" or "no quorum".</summary>
    public string Text => Kind switch
    {
        QuorumHealthKind.Healthy => "healthy",
        QuorumHealthKind.Degraded => $"degraded: {FailuresLeft} {(FailuresLeft == 1 ? "failure" : "failures")} left",
        _ => "no quorum",
    };
}
