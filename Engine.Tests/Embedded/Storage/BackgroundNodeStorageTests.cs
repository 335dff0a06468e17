using System.Collections.Concurrent;
using QuorumPortal.Engine.Embedded.Storage;

namespace QuorumPortal.Engine.Tests.Embedded.Storage;

/// <summary>
/// The contract on <see cref="BackgroundNodeStorage"/> over a <see cref="FileNodeStorage"/> (a restart closes both and
/// opens the directory again), and what the log-writer thread adds: flushes reported in order and only after the
/// records reached the file, appends kept across a restart, and a writer failure that stops acknowledgements.
/// </summary>
public sealed class BackgroundNodeStorageTests : NodeStorageContract
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly string _root = Directory.CreateTempSubdirectory("quorum-background-").FullName;

    private string DataDirectory => Path.Combine(_root, "data");

    private string VersionDirectory => Path.Combine(DataDirectory, "version-2");

    private protected override INodeStorage CreateStorage() =>
        new BackgroundNodeStorage(new FileNodeStorage(DataDirectory, FsyncPolicy.Batched), "test");

    private protected override INodeStorage ReopenStorage(INodeStorage storage)
    {
        storage.Dispose();
        return CreateStorage();
    }

    private protected override void Cleanup() => Directory.Delete(_root, recursive: true);

    private long LogBytes() => Directory.GetFiles(VersionDirectory, "log.*").Sum(f => new FileInfo(f).Length);

    [Fact]
    public void BeginFlush_AfterAppends_CallsBackOnlyOnceTheRecordsAreInTheFile()
    {
        AppendRange(Storage, 1, 50, size: 1000);
        long bytesAtCallback = -1;
        using var durable = new ManualResetEventSlim();

        bool done = Storage.BeginFlush(() =>
        {
            bytesAtCallback = LogBytes();
            durable.Set();
        });

        Assert.False(done);
        Assert.True(durable.Wait(Deadline), "the flush was never reported");
        Assert.True(bytesAtCallback >= 50 * (16 + 1000), $"only {bytesAtCallback} bytes of the log were in the file when the flush was reported");
    }

    [Fact]
    public void BeginFlush_Several_CallsBackInCallOrder()
    {
        var reported = new ConcurrentQueue<int>();
        using var last = new ManualResetEventSlim();
        for (int flush = 1; flush <= 20; flush++)
        {
            AppendRange(Storage, (flush * 10) - 9, flush * 10);
            int id = flush;
            Storage.BeginFlush(() =>
            {
                reported.Enqueue(id);
                if (id == 20)
                {
                    last.Set();
                }
            });
        }

        Assert.True(last.Wait(Deadline), "the last flush was never reported");
        Assert.Equal(Enumerable.Range(1, 20), reported);
    }

    [Fact]
    public void Dispose_AppendsQueuedWithoutFlush_SurviveTheRestart()
    {
        AppendRange(Storage, 1, 300, size: 700);
        Storage.SaveSnapshot(120, [1, 2, 0]);
        AppendRange(Storage, 301, 310, size: 700);

        INodeStorage reopened = Reopen();

        Assert.Equal(Range(1, 310), Zxids(reopened));
        Assert.All(reopened.ReadLog(0), r => Assert.Equal(RecordFor(r.Zxid, 700), r.Record));
        Assert.Equal(120, reopened.LoadLatestSnapshot()?.Zxid);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(700)]
    public void Open_TornTailWrittenByTheWriter_RecoversCompleteRecordsAndAppendsContinue(int bytesChopped)
    {
        AppendRange(Storage, 1, 20, size: 400);
        using (var durable = new ManualResetEventSlim())
        {
            Storage.BeginFlush(durable.Set);
            Assert.True(durable.Wait(Deadline), "the flush was never reported");
        }

        Storage.Dispose();
        string log = Directory.GetFiles(VersionDirectory, "log.*").Single();
        using (var stream = new FileStream(log, FileMode.Open))
        {
            stream.SetLength(stream.Length - bytesChopped);
        }

        INodeStorage reopened = Reopen();
        long survivors = bytesChopped <= 416 ? 19 : 18; // a record is 16 header bytes + 400

        Assert.Equal(Range(1, survivors), Zxids(reopened));
        reopened.Append(survivors + 1, RecordFor(survivors + 1));
        reopened.Flush();
        Assert.Equal(Range(1, survivors + 1), Zxids(Reopen()));
    }

    [Fact]
    public void BeginFlush_InnerStorageFails_NeverReportsAndLaterCallsThrow()
    {
        using var storage = new BackgroundNodeStorage(new FailingFlushStorage(), "failing");
        storage.Append(1, RecordFor(1));
        bool reported = false;

        storage.BeginFlush(() => reported = true);

        var error = Assert.Throws<IOException>(storage.Flush);
        Assert.Contains("disk on fire", error.Message, StringComparison.Ordinal);
        Assert.False(reported);
        Assert.Throws<IOException>(() => storage.Append(2, RecordFor(2)));
        Assert.Throws<IOException>(() => storage.ReadLog(0));
    }

    [Fact]
    public void Append_ZxidNotIncreasing_ThrowsOnTheCallerAndWriterCarriesOn()
    {
        Storage.Append(5, RecordFor(5));

        Assert.Throws<InvalidOperationException>(() => Storage.Append(5, RecordFor(5)));
        using var durable = new ManualResetEventSlim();
        Storage.Append(6, RecordFor(6));
        Storage.BeginFlush(durable.Set);
        Assert.True(durable.Wait(Deadline), "the flush was never reported");
        Assert.Equal([5, 6], Zxids(Storage));
    }

    /// <summary>A storage whose flush fails, as a full or broken disk would.</summary>
    private sealed class FailingFlushStorage : INodeStorage
    {
        private readonly MemoryNodeStorage _memory = new();

        public long AcceptedEpoch => _memory.AcceptedEpoch;

        public long CurrentEpoch => _memory.CurrentEpoch;

        public long LastLoggedZxid => _memory.LastLoggedZxid;

        public void SetAcceptedEpoch(long epoch) => _memory.SetAcceptedEpoch(epoch);

        public void SetCurrentEpoch(long epoch) => _memory.SetCurrentEpoch(epoch);

        public void Append(long zxid, ReadOnlyMemory<byte> record) => _memory.Append(zxid, record);

        public void Flush() => throw new IOException("disk on fire");

        public IEnumerable<(long Zxid, byte[] Record)> ReadLog(long afterZxid) => _memory.ReadLog(afterZxid);

        public void TruncateAfter(long zxid) => _memory.TruncateAfter(zxid);

        public void SaveSnapshot(long zxid, ReadOnlySpan<byte> snapshot) => _memory.SaveSnapshot(zxid, snapshot);

        public (long Zxid, byte[] Data)? LoadLatestSnapshot() => _memory.LoadLatestSnapshot();

        public void Purge(int retainSnapshots) => _memory.Purge(retainSnapshots);

        public void ResetTo(long zxid, ReadOnlySpan<byte> snapshot) => _memory.ResetTo(zxid, snapshot);

        public void Dispose() => _memory.Dispose();
    }
}
