namespace QuorumPortal.Engine.Embedded;

/// <summary>
/// The tail of a node's transaction log kept in memory: everything not yet applied, plus up to a
/// capacity of applied entries so the node can bring a lagging follower up to date by DIFF when it leads.
/// </summary>
internal sealed class LogWindow(int capacity)
{
    // A ring whose slots are cleared as entries leave it: an entry trimmed from the window must become garbage at
    // once. (A list trimmed by an offset kept up to a thousand trimmed entries reachable, so every young GC copied
    // them; at 25,000 writes/s that was most of what each collection promoted.)
    private LogEntry?[] _ring = new LogEntry?[16];
    private int _head;
    private int _count;

    public int Count => _count;

    /// <summary>Zxid just before the first entry kept: a learner at this zxid can still be sent a DIFF.</summary>
    public long BaseZxid { get; private set; }

    public long LastZxid => _count == 0 ? BaseZxid : this[_count - 1].Zxid;

    public LogEntry this[int index] => (uint)index < (uint)_count
        ? _ring[(_head + index) & (_ring.Length - 1)]!
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"the window holds {_count} entries");

    public void Reset(long baseZxid)
    {
        Array.Clear(_ring);
        _head = 0;
        _count = 0;
        BaseZxid = baseZxid;
    }

    public void Add(LogEntry entry)
    {
        if (entry.Zxid <= LastZxid)
        {
            throw new InvalidOperationException($"log entry {entry.Zxid:x} does not follow {LastZxid:x}");
        }

        if (_count == _ring.Length)
        {
            var grown = new LogEntry?[_ring.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                grown[i] = this[i];
            }

            _ring = grown;
            _head = 0;
        }

        _ring[(_head + _count) & (_ring.Length - 1)] = entry;
        _count++;
    }

    /// <summary>Index of the entry with this zxid, or the bitwise complement of where it would go.</summary>
    public int IndexOf(long zxid)
    {
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var z = this[mid].Zxid;
            if (z == zxid)
            {
                return mid;
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

        return ~lo;
    }

    /// <summary>Whether a node whose log ends at <paramref name="zxid"/> shares this log's history there.</summary>
    public bool Contains(long zxid) => zxid == BaseZxid || IndexOf(zxid) >= 0;

    /// <summary>Entries with zxid greater than <paramref name="zxid"/> and at most <paramref name="upTo"/>.</summary>
    public List<LogEntry> After(long zxid, long upTo = long.MaxValue)
    {
        var i = IndexOf(zxid);
        var from = i >= 0 ? i + 1 : ~i;
        var result = new List<LogEntry>();
        for (var k = from; k < _count && this[k].Zxid <= upTo; k++)
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
        return next < _count && this[next].Zxid <= upTo ? this[next] : null;
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
        for (var k = keep; k < _count; k++)
        {
            _ring[(_head + k) & (_ring.Length - 1)] = null;
        }

        _count = keep;
    }

    /// <summary>Drops the oldest entries up to <paramref name="appliedZxid"/> while over capacity.</summary>
    public void Trim(long appliedZxid)
    {
        while (_count > capacity && this[0].Zxid <= appliedZxid)
        {
            BaseZxid = this[0].Zxid;
            _ring[_head] = null;
            _head = (_head + 1) & (_ring.Length - 1);
            _count--;
        }
    }
}
