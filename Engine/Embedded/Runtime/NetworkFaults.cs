namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>Fault injection for <see cref="InMemoryNetwork"/>. All zero (the default) is a perfect, instant network.</summary>
internal sealed record NetworkFaults
{
    public static NetworkFaults None { get; } = new();

    /// <summary>Base one-way delay. Default zero.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Extra delay drawn uniformly from [0, Jitter); datagrams may reorder, connections stay FIFO. Default zero.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Chance a packet is lost. Datagrams vanish; on a connection it arrives late instead, as TCP retransmits. Default 0.</summary>
    public double DropRate { get; init; }

    /// <summary>Chance a packet is duplicated. Datagrams arrive twice; on a connection the copy is discarded, as TCP does. Default 0.</summary>
    public double DuplicateRate { get; init; }

    /// <summary>Chance per connection message that the connection is reset; both ends see it closed. Default 0.</summary>
    public double ResetRate { get; init; }

    /// <summary>Extra delay of a "lost" connection packet. Default null: max(3 × <see cref="Delay"/>, 1 ms).</summary>
    public TimeSpan? RetransmitDelay { get; init; }

    /// <summary>Whether any fault or delay is on; when not, the network delivers by posting directly.</summary>
    public bool IsActive =>
        Delay > TimeSpan.Zero || Jitter > TimeSpan.Zero || DropRate > 0 || DuplicateRate > 0 || ResetRate > 0;

    public TimeSpan EffectiveRetransmitDelay =>
        RetransmitDelay ?? TimeSpan.FromTicks(Math.Max(3 * Delay.Ticks, TimeSpan.TicksPerMillisecond));

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Delay, TimeSpan.Zero, nameof(Delay));
        ArgumentOutOfRangeException.ThrowIfLessThan(Jitter, TimeSpan.Zero, nameof(Jitter));
        if (RetransmitDelay is { } retransmit)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(retransmit, TimeSpan.Zero, nameof(RetransmitDelay));
        }

        ValidateRate(DropRate, nameof(DropRate));
        ValidateRate(DuplicateRate, nameof(DuplicateRate));
        ValidateRate(ResetRate, nameof(ResetRate));
    }

    private static void ValidateRate(double rate, string name)
    {
        if (!(rate is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(name, rate, "A rate must be between 0 and 1.");
        }
    }
}
