namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>Queue priority for timed work: due time first, then arrival, so equal-time work runs FIFO.</summary>
internal readonly struct WorkOrder(long due, long sequence) : IComparable<WorkOrder>
{
    /// <summary>Due time in <see cref="TimeSpan"/> ticks of the loop's monotonic clock.</summary>
    public long Due { get; } = due;

    public long Sequence { get; } = sequence;

    public int CompareTo(WorkOrder other)
    {
        var byDue = Due.CompareTo(other.Due);
        return byDue != 0 ? byDue : Sequence.CompareTo(other.Sequence);
    }
}
