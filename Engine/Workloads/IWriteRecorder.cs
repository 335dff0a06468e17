namespace QuorumPortal.Engine.Workloads;

/// <summary>One write the ensemble acknowledged: which znode, the version and zxid it got, and a hash of the value.</summary>
/// <param name="Path">The znode written.</param>
/// <param name="Version">The znode's data version after the write.</param>
/// <param name="Zxid">The write's zxid (the znode's mzxid after the write).</param>
/// <param name="ValueHash">Hash of the written bytes (<see cref="WorkloadValues.Hash"/>), to recognise the value when it is read back.</param>
/// <param name="SessionId">The session that wrote it.</param>
/// <param name="AcknowledgedAt">When the acknowledgement arrived.</param>
public sealed record AcknowledgedWrite(string Path, int Version, long Zxid, ulong ValueHash, long SessionId, DateTimeOffset AcknowledgedAt);

/// <summary>
/// Where a workload reports its writes, for a drill's ledger. Called concurrently from the completions of many
/// requests, so implementations must be thread-safe and quick. No call comes after the runner has stopped.
/// </summary>
public interface IWriteRecorder
{
    void Acknowledged(AcknowledgedWrite write);

    /// <summary>
    /// A write whose outcome is unknown (connection lost, timed out or abandoned at stop): it may or may not have been
    /// applied, so finding its value later is not an error, and not finding it is not a lost write.
    /// </summary>
    void OutcomeUnknown(string path, ulong valueHash)
    {
    }
}

/// <summary>The default recorder: keeps nothing.</summary>
public sealed class NoWriteRecorder : IWriteRecorder
{
    public static NoWriteRecorder Instance { get; } = new();

    private NoWriteRecorder()
    {
    }

    public void Acknowledged(AcknowledgedWrite write)
    {
    }
}
