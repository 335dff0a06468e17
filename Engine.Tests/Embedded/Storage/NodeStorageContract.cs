using QuorumPortal.Engine.Embedded.Storage;

namespace QuorumPortal.Engine.Tests.Embedded.Storage;

/// <summary>
/// What every <see cref="INodeStorage"/> promises. A subclass supplies the storage and says what a restart
/// of the node's process does to it.
/// </summary>
public abstract class NodeStorageContract : IDisposable
{
    private INodeStorage? _storage;

    private protected INodeStorage Storage => _storage ??= CreateStorage();

    public void Dispose()
    {
        _storage?.Dispose();
        Cleanup();
        GC.SuppressFinalize(this);
    }

    private protected abstract INodeStorage CreateStorage();

    /// <summary>What the node sees after its process restarts: <paramref name="storage"/> again, or a fresh open of its data.</summary>
    private protected abstract INodeStorage ReopenStorage(INodeStorage storage);

    private protected virtual void Cleanup()
    {
    }

    private protected INodeStorage Reopen() => _storage = ReopenStorage(Storage);

    /// <summary>A record whose bytes depend on its zxid, so a mixed-up record does not compare equal.</summary>
    private protected static byte[] RecordFor(long zxid, int size = 40)
    {
        var record = new byte[size];
        for (int i = 0; i < size; i++)
        {
            record[i] = (byte)((zxid * 31) + i);
        }

        return record;
    }

    private protected static void AppendRange(INodeStorage storage, long first, long last, int size = 40)
    {
        for (long zxid = first; zxid <= last; zxid++)
        {
            storage.Append(zxid, RecordFor(zxid, size));
        }
    }

    private protected static long[] Zxids(INodeStorage storage, long afterZxid = 0) =>
        storage.ReadLog(afterZxid).Select(r => r.Zxid).ToArray();

    private protected static long[] Range(long first, long last) =>
        Enumerable.Range(0, (int)(last - first + 1)).Select(i => first + i).ToArray();

    [Fact]
    public void NewStorage_Empty_ReportsZeros()
    {
        Assert.Equal(0, Storage.AcceptedEpoch);
        Assert.Equal(0, Storage.CurrentEpoch);
        Assert.Equal(0, Storage.LastLoggedZxid);
        Assert.Empty(Storage.ReadLog(0));
        Assert.Null(Storage.LoadLatestSnapshot());
    }

    [Fact]
    public void SetEpochs_Reopen_EpochsPersist()
    {
        Storage.SetAcceptedEpoch(7);
        Storage.SetCurrentEpoch(6);
        Storage.SetAcceptedEpoch(8);

        INodeStorage reopened = Reopen();

        Assert.Equal(8, reopened.AcceptedEpoch);
        Assert.Equal(6, reopened.CurrentEpoch);
    }

    [Fact]
    public void Append_ThenFlush_ReadLogReturnsRecordsInOrder()
    {
        Storage.Append(0x1_0000_0001, RecordFor(1));
        Storage.Append(0x1_0000_0002, Array.Empty<byte>());
        Storage.Append(0x2_0000_0001, RecordFor(3, 5000));
        Storage.Flush();

        var records = Storage.ReadLog(0).ToArray();

        Assert.Equal([0x1_0000_0001, 0x1_0000_0002, 0x2_0000_0001], records.Select(r => r.Zxid));
        Assert.Equal(RecordFor(1), records[0].Record);
        Assert.Empty(records[1].Record);
        Assert.Equal(RecordFor(3, 5000), records[2].Record);
        Assert.Equal(0x2_0000_0001, Storage.LastLoggedZxid);
    }

    [Fact]
    public void ReadLog_BeforeFlush_SeesAppendedRecords()
    {
        AppendRange(Storage, 1, 5);

        Assert.Equal(Range(1, 5), Zxids(Storage));
    }

    [Fact]
    public void ReadLog_AfterZxid_ReturnsOnlyLaterRecords()
    {
        foreach (long zxid in new long[] { 2, 4, 6, 8 })
        {
            Storage.Append(zxid, RecordFor(zxid));
        }

        Assert.Equal([2, 4, 6, 8], Zxids(Storage, 0));
        Assert.Equal([6, 8], Zxids(Storage, 4));
        Assert.Equal([6, 8], Zxids(Storage, 5));
        Assert.Empty(Zxids(Storage, 8));
        Assert.Empty(Zxids(Storage, 100));
    }

    [Fact]
    public void Append_ZxidNotIncreasing_Throws()
    {
        Storage.Append(5, RecordFor(5));

        Assert.Throws<InvalidOperationException>(() => Storage.Append(5, RecordFor(5)));
        Assert.Throws<InvalidOperationException>(() => Storage.Append(4, RecordFor(4)));
        Assert.Equal([5], Zxids(Storage));
    }

    [Fact]
    public void Append_ZxidNotAfterSnapshot_Throws()
    {
        Storage.SaveSnapshot(10, [1, 2, 3]);

        Assert.Throws<InvalidOperationException>(() => Storage.Append(10, RecordFor(10)));
        Storage.Append(11, RecordFor(11));
        Assert.Equal(11, Storage.LastLoggedZxid);
    }

    [Fact]
    public void TruncateAfter_MidLog_RemovesLaterRecordsAndAppendsContinue()
    {
        AppendRange(Storage, 1, 10);
        Storage.Flush();

        Storage.TruncateAfter(6);
        Assert.Equal(6, Storage.LastLoggedZxid);
        Storage.Append(7, RecordFor(70));
        Storage.Flush();

        var records = Storage.ReadLog(5).ToArray();
        Assert.Equal([6, 7], records.Select(r => r.Zxid));
        Assert.Equal(RecordFor(70), records[1].Record);
    }

    [Fact]
    public void TruncateAfter_Reopen_StaysTruncated()
    {
        AppendRange(Storage, 1, 10);
        Storage.Flush();
        Storage.TruncateAfter(3);

        INodeStorage reopened = Reopen();

        Assert.Equal(Range(1, 3), Zxids(reopened));
        Assert.Equal(3, reopened.LastLoggedZxid);
    }

    [Fact]
    public void TruncateAfter_BeforeFirstRecord_EmptiesLog()
    {
        AppendRange(Storage, 5, 8);

        Storage.TruncateAfter(2);

        Assert.Empty(Storage.ReadLog(0));
        Assert.Equal(0, Storage.LastLoggedZxid);
        Storage.Append(3, RecordFor(3));
        Assert.Equal([3], Zxids(Storage));
    }

    [Fact]
    public void TruncateAfter_BelowSnapshot_DropsSnapshotsPastTheCut()
    {
        AppendRange(Storage, 1, 10);
        Storage.SaveSnapshot(4, [4]);
        Storage.SaveSnapshot(8, [8]);

        Storage.TruncateAfter(6);

        Assert.Equal(4, Storage.LoadLatestSnapshot()?.Zxid);
        Assert.Equal(6, Storage.LastLoggedZxid);
    }

    [Fact]
    public void SaveSnapshot_Several_LoadLatestReturnsNewest()
    {
        AppendRange(Storage, 1, 30);
        Storage.SaveSnapshot(10, [1, 0]);
        Storage.SaveSnapshot(30, [3, 0]);
        Storage.SaveSnapshot(20, [2, 0]);

        var latest = Storage.LoadLatestSnapshot();
        var afterReopen = Reopen().LoadLatestSnapshot();

        Assert.Equal(30, latest?.Zxid);
        Assert.Equal([3, 0], latest?.Data);
        Assert.Equal(30, afterReopen?.Zxid);
        Assert.Equal([3, 0], afterReopen?.Data);
    }

    [Fact]
    public void SaveSnapshot_AheadOfLog_CountsAsLastLogged()
    {
        AppendRange(Storage, 1, 3);

        Storage.SaveSnapshot(9, [9]);

        Assert.Equal(9, Storage.LastLoggedZxid);
        Assert.Equal(Range(1, 3), Zxids(Storage));
    }

    [Fact]
    public void Purge_RetainOne_KeepsNewestSnapshotAndRecordsAfterIt()
    {
        AppendRange(Storage, 1, 10);
        Storage.SaveSnapshot(5, [5]);
        AppendRange(Storage, 11, 20);
        Storage.SaveSnapshot(15, [15]);
        AppendRange(Storage, 21, 25);
        Storage.Flush();

        Storage.Purge(1);

        Assert.Equal(15, Storage.LoadLatestSnapshot()?.Zxid);
        Assert.Equal(Range(16, 25), Zxids(Storage, 15));
        Assert.DoesNotContain(5L, Zxids(Storage)); // covered by the kept snapshot, in a whole file before it
        Assert.Equal(25, Storage.LastLoggedZxid);

        // The older snapshot is gone: dropping the newest leaves none.
        Storage.TruncateAfter(14);
        Assert.Null(Storage.LoadLatestSnapshot());
    }

    [Fact]
    public void Purge_RetainMoreThanStored_KeepsEverySnapshot()
    {
        AppendRange(Storage, 1, 10);
        Storage.SaveSnapshot(5, [5]);
        AppendRange(Storage, 11, 20);
        Storage.SaveSnapshot(15, [15]);

        Storage.Purge(3);
        Storage.TruncateAfter(14);

        Assert.Equal(5, Storage.LoadLatestSnapshot()?.Zxid);
        Assert.Equal(Range(6, 14), Zxids(Storage, 5));
    }

    [Fact]
    public void Purge_RetainZero_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Storage.Purge(0));
    }

    [Fact]
    public void ResetTo_WithLogAndSnapshots_KeepsOnlyTheNewSnapshot()
    {
        AppendRange(Storage, 1, 10);
        Storage.SaveSnapshot(8, [8]);
        Storage.SaveSnapshot(9, [9]);
        Storage.Flush();

        Storage.ResetTo(6, [6, 6]);

        Assert.Empty(Storage.ReadLog(0));
        Assert.Equal(6, Storage.LastLoggedZxid);
        Assert.Equal([6, 6], Storage.LoadLatestSnapshot()?.Data);
        Storage.Append(7, RecordFor(7));
        Storage.Flush();

        INodeStorage reopened = Reopen();
        Assert.Equal(6, reopened.LoadLatestSnapshot()?.Zxid);
        Assert.Equal([7], Zxids(reopened));
        Assert.Equal(7, reopened.LastLoggedZxid);

        // No older snapshot survived the reset.
        reopened.TruncateAfter(5);
        Assert.Null(reopened.LoadLatestSnapshot());
    }

    [Fact]
    public void Reopen_AfterFlush_RecoversEverything()
    {
        Storage.SetAcceptedEpoch(3);
        Storage.SetCurrentEpoch(3);
        AppendRange(Storage, 1, 200, size: 300);
        Storage.SaveSnapshot(150, [1, 5, 0]);
        Storage.Append(201, RecordFor(201, 100_000)); // larger than any write buffer
        AppendRange(Storage, 202, 400, size: 1100);
        Storage.Flush();

        INodeStorage reopened = Reopen();

        Assert.Equal(3, reopened.CurrentEpoch);
        Assert.Equal(400, reopened.LastLoggedZxid);
        Assert.Equal(150, reopened.LoadLatestSnapshot()?.Zxid);
        var records = reopened.ReadLog(0).ToArray();
        Assert.Equal(Range(1, 400), records.Select(r => r.Zxid));
        Assert.All(records, r => Assert.Equal(RecordFor(r.Zxid, r.Zxid == 201 ? 100_000 : r.Zxid <= 200 ? 300 : 1100), r.Record));

        reopened.Append(401, RecordFor(401));
        Assert.Equal([400, 401], Zxids(reopened, 399));
    }
}
