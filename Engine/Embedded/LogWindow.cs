namespace QuorumPortal.Engine.Embedded;

/// <summary>
/// The tail of a node's transaction log kept in memory: everything not yet applied, plus up to a
/// capacity of applied entries so the node can bring a lagging follower up to date by DIFF when it leads.
/// </summary>
internal sealed class LogWindow(int capacity)
{
    private readonly List<LogEntry> _entries = [];
    private int _start;

    public int Count => _entries.Count - _start;

    /// <summary>Zxid just before the first entry kept: a learner at this zxid can still be sent a DIFF.</summary>
    public long BaseZxid { get; private set; }

    public long LastZxid => Count == 0 ? BaseZxid : _entries[^1].Zxid;

    public LogEntry this[int index] => _entries[_start + index];

    public void Reset(long baseZxid)
    {
        _entries.Clear();
        _start = 0;
        BaseZxid = baseZxid;
    }

    public void Add(LogEntry entry)
    {
        if (entry.Zxid <= LastZxid)
        {
            throw new InvalidOperationException($"log entry {entry.Zxid:x} does not follow {LastZxid:x}");
        }

        _entries.Add(entry);
    }

    /// <summary>Index of the entry with this zxid, or the bitwise complement of where it would go.</summary>
    public int IndexOf(long zxid)
    {
        int lo = _start, hi = _entries.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var z = _entries[mid].Zxid;
            if (z == zxid)
            {
                return mid - _start;
            }

            if (z < zxid)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~(lo - _start);
    }

    /// <summary>Whether a node whose log ends at <paramref name="zxid"/> shares this log's history there.</summary>
    public bool Contains(long zxid) => zxid == BaseZxid || IndexOf(zxid) >= 0;

    /// <summary>Entries with zxid greater than <paramref name="zxid"/> and at most <paramref name="upTo"/>.</summary>
    public List<LogEntry> After(long zxid, long upTo = long.MaxValue)
    {
        var i = IndexOf(zxid);
        var from = i >= 0 ? i + 1 : ~i;
        var result = new List<LogEntry>();
        for (var k = from; k < Count && this[k].Zxid <= upTo; k++)
        {
            result.Add(this[k]);
        }

        return result;
    }

    /// <summary>The first entry with zxid greater than <paramref name="zxid"/> and at most <paramref name="upTo"/>, or null; allocates nothing.</summary>
    public LogEntry? EntryAfter(long zxid, long upTo)
    {
        var i = IndexOf(zxid);
        var next = i >= 0 ? i + 1 : ~i;
        return next < Count && this[next].Zxid <= upTo ? this[next] : null;
    }

    /// <summary>The greatest zxid in the window lower than <paramref name="zxid"/>, or the base.</summary>
    public long Before(long zxid)
    {
        var i = IndexOf(zxid);
        var insert = i >= 0 ? i : ~i;
        return insert == 0 ? BaseZxid : this[insert - 1].Zxid;
    }

    public void TruncateAfter(long zxid)
    {
        var i = IndexOf(zxid);
        var keep = i >= 0 ? i + 1 : ~i;
        _entries.RemoveRange(_start + keep, Count - keep);
    }

    /// <summary>Drops the oldest entries up to <paramref name="appliedZxid"/> while over capacity.</summary>
    public void Trim(long appliedZxid)
    {
        var removed = false;
        while (Count > capacity && this[0].Zxid <= appliedZxid)
        {
            BaseZxid = this[0].Zxid;
            _start++;
            removed = true;
        }

        if (removed && _start > 1024 && _start > _entries.Count / 2)
        {
            _entries.RemoveRange(0, _start);
            _start = 0;
        }
    }
}
