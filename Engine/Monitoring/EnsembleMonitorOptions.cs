using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Monitoring;

/// <summary>How an <see cref="EnsembleMonitor"/> probes and what it calls a missed heartbeat.</summary>
public sealed record EnsembleMonitorOptions
{
    /// <summary>Time between probe rounds. Default 250 ms; between 1 ms and 1 hour.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How old a serving member's last heartbeat may be (at the time it was probed) before it is reported missed.
    /// Default null: the larger of 2 × <see cref="ProbeInterval"/> and 2 × tickTime. A ZooKeeper leader pings
    /// every half tick, so two ticks is four missed pings, and two probe rounds are needed to see no progress.
    /// </summary>
    public TimeSpan? HeartbeatMissedAfter { get; init; }

    /// <summary>A throughput sample every this many rounds. Default 1 (every round).</summary>
    public int ThroughputSampleEvery { get; init; } = 1;

    /// <summary>Also emit one <see cref="Events.ThroughputSample"/> per member. Default true.</summary>
    public bool PerMemberThroughput { get; init; } = true;

    /// <summary>A probe not answered within this is reported down, so one hung member cannot stall a round. Default 2 s.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The missed-heartbeat threshold for an ensemble with <paramref name="settings"/>.</summary>
    public TimeSpan EffectiveHeartbeatMissedAfter(EnsembleSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (HeartbeatMissedAfter is { } fixedThreshold)
        {
            return fixedThreshold;
        }

        var twoTicks = TimeSpan.FromMilliseconds(2.0 * Math.Max(settings.TickTime, 1));
        var twoRounds = 2 * ProbeInterval;
        return twoTicks > twoRounds ? twoTicks : twoRounds;
    }

    /// <summary>Every rule these options break; empty when they are valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (ProbeInterval < TimeSpan.FromMilliseconds(1) || ProbeInterval > TimeSpan.FromHours(1))
        {
            errors.Add(new("probeInterval", $"must be between 1 ms and 1 hour (was {ProbeInterval})"));
        }

        if (HeartbeatMissedAfter is { } threshold && threshold <= TimeSpan.Zero)
        {
            errors.Add(new("heartbeatMissedAfter", $"must be positive (was {threshold})"));
        }

        if (ThroughputSampleEvery < 1)
        {
            errors.Add(new("throughputSampleEvery", $"must be at least 1 round (was {ThroughputSampleEvery})"));
        }

        if (ProbeTimeout <= TimeSpan.Zero)
        {
            errors.Add(new("probeTimeout", $"must be positive (was {ProbeTimeout})"));
        }

        return errors;
    }

    /// <summary>Throws <see cref="ValidationException"/> when <see cref="Validate"/> finds anything.</summary>
    public EnsembleMonitorOptions EnsureValid()
    {
        var errors = Validate();
        return errors.Count == 0 ? this : throw new ValidationException(errors);
    }
}
