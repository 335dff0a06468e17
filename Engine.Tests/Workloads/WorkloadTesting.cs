using System.Collections.Concurrent;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Workloads;

namespace QuorumPortal.Engine.Tests.Workloads;

/// <summary>Keeps every write a workload reports, as a drill's ledger will.</summary>
internal sealed class RecordingWriteRecorder : IWriteRecorder
{
    public ConcurrentQueue<AcknowledgedWrite> Acknowledged { get; } = new();

    public ConcurrentQueue<(string Path, ulong Hash)> Unknown { get; } = new();

    void IWriteRecorder.Acknowledged(AcknowledgedWrite write) => Acknowledged.Enqueue(write);

    void IWriteRecorder.OutcomeUnknown(string path, ulong valueHash) => Unknown.Enqueue((path, valueHash));

    /// <summary>
    /// Reads every key written back through <paramref name="client"/> (after a sync) and checks it holds the value
    /// of its highest acknowledged version, or of a later write whose outcome was unknown. Returns the keys checked.
    /// </summary>
    public async Task<int> AssertLatestWritesReadableAsync(ICoordinationClient client)
    {
        await client.SyncAsync();
        var unknown = Unknown.ToLookup(u => u.Path, u => u.Hash);
        var latest = Acknowledged.GroupBy(w => w.Path).Select(g => g.MaxBy(w => w.Version)!).ToList();
        foreach (var write in latest)
        {
            var data = await client.GetDataAsync(write.Path);
            var hash = WorkloadValues.Hash(data.Data);
            Assert.True(data.Stat.Version >= write.Version, $"{write.Path}: version {data.Stat.Version} is older than the acknowledged {write.Version}");
            if (data.Stat.Version == write.Version)
            {
                Assert.Equal(write.ValueHash, hash);
                Assert.Equal(write.Zxid, data.Stat.Mzxid);
            }
            else
            {
                Assert.True(unknown[write.Path].Contains(hash), $"{write.Path}: version {data.Stat.Version} holds a value no write of the workload sent");
            }
        }

        return latest.Count;
    }
}

internal static class WorkloadWait
{
    /// <summary>Polls the runner's status until <paramref name="condition"/> holds; fails with the last status.</summary>
    public static async Task<WorkloadStatus> UntilAsync(Func<WorkloadStatus> status, Func<WorkloadStatus, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var now = status();
            if (condition(now))
            {
                return now;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not {what} within {timeout ?? TimeSpan.FromSeconds(30)}; status: {Describe(now)}");
            }

            // Polling paces the check; the wait is on the condition.
            await Task.Delay(20);
        }
    }

    public static string Describe(WorkloadStatus s) =>
        $"{s.State}, {s.Reads} reads, {s.Writes} writes, {s.Errors} errors ({string.Join(", ", s.ErrorsByCode.Select(e => $"{e.Key} {e.Value}"))}; other {s.OtherErrors}), " +
        $"{s.Skipped} skipped, {s.OperationsPerSecond:0} ops/s, p50 {s.LatencyP50?.TotalMilliseconds:0.0} ms, p99 {s.LatencyP99?.TotalMilliseconds:0.0} ms, " +
        $"{s.SessionsOpen} sessions open, {s.SessionsReopened} reopened, seed {s.Seed}, last error: {s.LastError ?? "none"}";
}
