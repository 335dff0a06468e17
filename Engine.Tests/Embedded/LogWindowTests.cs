using System.Runtime.CompilerServices;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Embedded.Data;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Embedded;

public sealed class LogWindowTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Operations_RandomSequence_MatchAListModel(int seed)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var capacity = random.Next(1, 40);
        var window = new LogWindow(capacity);
        var model = new List<LogEntry>();
        long baseZxid = 0, next = 1, applied = 0;
        for (var step = 0; step < 5_000; step++)
        {
            switch (random.Next(60))
            {
                case 59:
                    // As a learner does after a SNAP: the window starts over at the snapshot's zxid.
                    next += random.Next(0, 3);
                    window.Reset(next);
                    model.Clear();
                    baseZxid = applied = next;
                    break;
                case < 36:
                    next += random.Next(1, 3);
                    var entry = Entry(next);
                    window.Add(entry);
                    model.Add(entry);
                    break;
                case < 48:
                    applied = Math.Max(applied, model.Count == 0 ? applied : model[random.Next(model.Count)].Zxid);
                    window.Trim(applied);
                    while (model.Count > capacity && model[0].Zxid <= applied)
                    {
                        baseZxid = model[0].Zxid;
                        model.RemoveAt(0);
                    }

                    break;
                case < 54 when model.Count > 0:
                    var keepUpTo = model[random.Next(model.Count)].Zxid;
                    window.TruncateAfter(keepUpTo);
                    model.RemoveAll(e => e.Zxid > keepUpTo);
                    next = keepUpTo;
                    applied = Math.Min(applied, keepUpTo);
                    break;
                default:
                    var probe = random.NextInt64(baseZxid, next + 2);
                    Assert.Equal(model.Where(e => e.Zxid > probe).Select(e => e.Zxid), window.After(probe).Select(e => e.Zxid));
                    Assert.Equal(model.FirstOrDefault(e => e.Zxid > probe && e.Zxid <= probe + 2)?.Zxid, window.EntryAfter(probe, probe + 2)?.Zxid);
                    Assert.Equal(probe == baseZxid || model.Any(e => e.Zxid == probe), window.Contains(probe));
                    Assert.Equal(model.LastOrDefault(e => e.Zxid < probe)?.Zxid ?? baseZxid, window.Before(probe));
                    break;
            }

            Assert.Equal(model.Count, window.Count);
            Assert.Equal(baseZxid, window.BaseZxid);
            Assert.Equal(model.Count == 0 ? baseZxid : model[^1].Zxid, window.LastZxid);
        }
    }

    [Fact]
    public void Indexer_OutsideTheWindow_Throws()
    {
        var window = new LogWindow(capacity: 2);
        window.Add(Entry(1));

        Assert.Equal(1, window[0].Zxid);
        Assert.Throws<ArgumentOutOfRangeException>(() => window[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => window[-1]);
    }

    [Fact]
    public void Trim_EntriesLeaveTheWindow_NoLongerReachable()
    {
        // A trimmed entry must become garbage at once: kept reachable, every young GC copies it.
        var window = new LogWindow(capacity: 4);
        var trimmed = AddAndTrim(window, 100);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.Equal(4, window.Count);
        Assert.DoesNotContain(trimmed, w => w.TryGetTarget(out _));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<WeakReference<LogEntry>> AddAndTrim(LogWindow window, int count)
    {
        var references = new List<WeakReference<LogEntry>>();
        for (var zxid = 1; zxid <= count; zxid++)
        {
            var entry = Entry(zxid);
            window.Add(entry);
            window.Trim(zxid);
            if (zxid <= count - 4)
            {
                references.Add(new WeakReference<LogEntry>(entry));
            }
        }

        return references;
    }

    private static LogEntry Entry(long zxid)
    {
        var txn = new Txn(zxid, 1, 1, 0, new SetDataOp("/a", new byte[8], -1));
        return new LogEntry(txn, TxnCodec.Encode(txn));
    }
}
