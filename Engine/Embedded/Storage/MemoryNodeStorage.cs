using System.Runtime.InteropServices;

namespace QuorumPortal.Engine.Embedded.Storage;

/// <summary>
/// <see cref="INodeStorage"/> kept in memory, for the deterministic simulation. A simulated crash discards the
/// node but keeps this object, so everything appended survives, as the OS page cache survives a process crash.
/// </summary>
/// <remarks>
/// Arrays returned by <see cref="ReadLog"/> and <see cref="LoadLatestSnapshot"/> are the stored ones, not copies
/// (simulations replay millions of records); callers must treat them as read-only.
/// </remarks>
internal sealed class MemoryNodeStorage : INodeStorage
{
    // Parallel lists: zxids alone so List.BinarySearch works on them without a comparer.
    private readonly List<long> _zxids = [];
    private readonly List<byte[]> _records = [];

    // Sorted by zxid, oldest first.
    private readonly List<(long Zxid, byte[] Data)> _snapshots = [];

    // Bumped on every change to the log so a ReadLog enumeration fails loudly instead of skipping records.
    private int _version;

    public long AcceptedEpoch { get; private set; }

    public long CurrentEpoch { get; private set; }

    public long LastLoggedZxid
    {
        get
        {
            long log = _zxids.Count > 0 ? _zxids[^1] : 0;
            long snapshot = _snapshots.Count > 0 ? _snapshots[^1].Zxid : 0;
            return Math.Max(log, snapshot);
        }
    }

    /// <summary>Records in the log (not counting what snapshots cover); for tests and diagnostics.</summary>
    public int LogCount => _zxids.Count;

    /// <summary>Zxids of the stored snapshots, oldest first; for tests and diagnostics.</summary>
    public IReadOnlyList<long> SnapshotZxids => _snapshots.Select(s => s.Zxid).ToArray();

    public void SetAcceptedEpoch(long epoch) => AcceptedEpoch = epoch;

    public void SetCurrentEpoch(long epoch) => CurrentEpoch = epoch;

    public void Append(long zxid, ReadOnlyMemory<byte> record)
    {
        long last = LastLoggedZxid;
        if (zxid <= last)
        {
            throw new InvalidOperationException($"Zxid 0x{zxid:x} does not follow the last logged zxid 0x{last:x}.");
        }

        _zxids.Add(zxid);
        // The caller hands the record over (it must not change it), so a whole array is kept as it is.
        _records.Add(MemoryMarshal.TryGetArray(record, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : record.ToArray());
        _version++;
    }

    public void Flush()
    {
        // Nothing to do: memory is as durable as this storage gets.
    }

    public IEnumerable<(long Zxid, byte[] Record)> ReadLog(long afterZxid)
    {
        int version = _version;
        for (int i = FirstIndexAfter(afterZxid); i < _zxids.Count; i++)
        {
            if (version != _version)
            {
                throw new InvalidOperationException("The log changed while it was being read.");
            }

            yield return (_zxids[i], _records[i]);
        }
    }

    public void TruncateAfter(long zxid)
    {
        int index = FirstIndexAfter(zxid);
        _zxids.RemoveRange(index, _zxids.Count - index);
        _records.RemoveRange(index, _records.Count - index);
        _version++;

        // A snapshot past the cut contains transactions the leader told us to forget.
        _snapshots.RemoveAll(s => s.Zxid > zxid);
    }

    public void SaveSnapshot(long zxid, ReadOnlySpan<byte> snapshot)
    {
        int index = _snapshots.FindIndex(s => s.Zxid >= zxid);
        if (index < 0)
        {
            _snapshots.Add((zxid, snapshot.ToArray()));
        }
        else if (_snapshots[index].Zxid == zxid)
        {
            _snapshots[index] = (zxid, snapshot.ToArray());
        }
        else
        {
            _snapshots.Insert(index, (zxid, snapshot.ToArray()));
        }
    }

    public (long Zxid, byte[] Data)? LoadLatestSnapshot() => _snapshots.Count > 0 ? _snapshots[^1] : null;

    public void Purge(int retainSnapshots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retainSnapshots, 1);
        if (_snapshots.Count == 0)
        {
            return;
        }

        if (_snapshots.Count > retainSnapshots)
        {
            _snapshots.RemoveRange(0, _snapshots.Count - retainSnapshots);
        }

        int covered = FirstIndexAfter(_snapshots[0].Zxid);
        _zxids.RemoveRange(0, covered);
        _records.RemoveRange(0, covered);
        _version++;
    }

    public void ResetTo(long zxid, ReadOnlySpan<byte> snapshot)
    {
        _zxids.Clear();
        _records.Clear();
        _version++;
        _snapshots.Clear();
        _snapshots.Add((zxid, snapshot.ToArray()));
    }

    /// <summary>Does nothing, so disposing a crashed node cannot lose what a real process crash would keep.</summary>
    public void Dispose()
    {
    }

    private int FirstIndexAfter(long zxid)
    {
        int index = _zxids.BinarySearch(zxid);
        return index >= 0 ? index + 1 : ~index;
    }
}
