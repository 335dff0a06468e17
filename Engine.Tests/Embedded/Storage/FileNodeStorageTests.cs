using QuorumPortal.Engine.Embedded.Storage;

namespace QuorumPortal.Engine.Tests.Embedded.Storage;

/// <summary>The contract on <see cref="FileNodeStorage"/>, where a restart closes the files and opens the directory again.</summary>
public sealed class FileNodeStorageTests : NodeStorageContract
{
    private readonly string _root = Directory.CreateTempSubdirectory("quorum-storage-").FullName;

    private string DataDirectory => Path.Combine(_root, "data");

    private string VersionDirectory => Path.Combine(DataDirectory, "version-2");

    private protected override INodeStorage CreateStorage() => new FileNodeStorage(DataDirectory, FsyncPolicy.Batched);

    private protected override INodeStorage ReopenStorage(INodeStorage storage)
    {
        storage.Dispose();
        return CreateStorage();
    }

    private protected override void Cleanup() => Directory.Delete(_root, recursive: true);

    private string[] LogFiles() => FileNames("log.*");

    private string[] FileNames(string pattern) =>
        Directory.GetFiles(VersionDirectory, pattern).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void Constructor_NewDirectory_LaysOutLikeZooKeeper()
    {
        Storage.SetAcceptedEpoch(2);
        Storage.SetCurrentEpoch(1);
        Storage.Append(0x2_0000_0001, RecordFor(1));
        Storage.Flush();
        Storage.SaveSnapshot(0x2_0000_0001, [1]);
        ((FileNodeStorage)Storage).WaitForBackground();

        Assert.Equal("2", File.ReadAllText(Path.Combine(VersionDirectory, "acceptedEpoch")).Trim());
        Assert.Equal("1", File.ReadAllText(Path.Combine(VersionDirectory, "currentEpoch")).Trim());
        Assert.Equal(["log.200000001"], LogFiles());
        Assert.Equal(["snapshot.200000001"], FileNames("snapshot.*"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(500)]
    public void Open_TornTail_RecoversCompleteRecordsAndAppendsContinue(int bytesChopped)
    {
        AppendRange(Storage, 1, 20, size: 400);
        Storage.Flush();
        Storage.Dispose();
        string log = Path.Combine(VersionDirectory, LogFiles().Single());
        using (var stream = new FileStream(log, FileMode.Open))
        {
            stream.SetLength(stream.Length - bytesChopped);
        }

        INodeStorage reopened = Reopen();
        long survivors = bytesChopped <= 416 ? 19 : 18; // a record is 16 header bytes + 400
        Assert.Equal(Range(1, survivors), Zxids(reopened));
        Assert.Equal(survivors, reopened.LastLoggedZxid);

        AppendRange(reopened, survivors + 1, 30, size: 400);
        reopened.Flush();
        Assert.Equal(Range(1, 30), Zxids(Reopen()));
    }

    [Fact]
    public void Open_GarbageAfterLastRecord_IgnoresItAndAppendsContinue()
    {
        AppendRange(Storage, 1, 10);
        Storage.Flush();
        Storage.Dispose();
        string log = Path.Combine(VersionDirectory, LogFiles().Single());
        long intactLength = new FileInfo(log).Length;
        using (var stream = new FileStream(log, FileMode.Append))
        {
            stream.Write([0x30, 0, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF, 11, 0, 0, 0, 0, 0, 0, 0, 0x55, 0x55]);
        }

        INodeStorage reopened = Reopen();
        Assert.Equal(Range(1, 10), Zxids(reopened));
        Assert.Equal(intactLength, new FileInfo(log).Length);

        reopened.Append(11, RecordFor(11));
        reopened.Flush();
        var records = Reopen().ReadLog(9).ToArray();
        Assert.Equal([10, 11], records.Select(r => r.Zxid));
        Assert.Equal(RecordFor(11), records[1].Record);
    }

    [Fact]
    public void Open_FlippedByteInRecord_EndsLogBeforeIt()
    {
        AppendRange(Storage, 1, 10, size: 100);
        Storage.Flush();
        Storage.Dispose();
        string log = Path.Combine(VersionDirectory, LogFiles().Single());
        byte[] bytes = File.ReadAllBytes(log);
        bytes[8 + (7 * 116) + 50] ^= 0x01; // inside record 8's payload: header 8 bytes, records 116 each
        File.WriteAllBytes(log, bytes);

        Assert.Equal(Range(1, 7), Zxids(Reopen()));
    }

    [Fact]
    public void Open_CorruptRecordInOlderFile_SetsAsideLaterFiles()
    {
        AppendRange(Storage, 1, 5);
        Storage.SaveSnapshot(5, [5]);
        AppendRange(Storage, 6, 10);
        Storage.Flush();
        Storage.Dispose();
        string first = Path.Combine(VersionDirectory, "log.1");
        byte[] bytes = File.ReadAllBytes(first);
        bytes[^3] ^= 0xFF;
        File.WriteAllBytes(first, bytes);

        INodeStorage reopened = Reopen();

        Assert.Equal(Range(1, 4), Zxids(reopened));
        Assert.Equal(["log.1", "log.6.corrupt"], LogFiles());
        Assert.Equal(5, reopened.LastLoggedZxid); // the snapshot still stands
    }

    [Fact]
    public void LoadLatestSnapshot_NewestCorrupt_FallsBackToPrevious()
    {
        AppendRange(Storage, 1, 20);
        Storage.SaveSnapshot(10, [1, 0]);
        Storage.SaveSnapshot(20, [2, 0, 0, 0]);
        Storage.Dispose();
        string newest = Path.Combine(VersionDirectory, "snapshot.14");
        byte[] bytes = File.ReadAllBytes(newest);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(newest, bytes);

        INodeStorage reopened = Reopen();
        var snapshot = reopened.LoadLatestSnapshot();

        Assert.Equal(10, snapshot?.Zxid);
        Assert.Equal([1, 0], snapshot?.Data);
        Assert.Equal(20, reopened.LastLoggedZxid); // the log still has up to 20
    }

    [Fact]
    public void LoadLatestSnapshot_CorruptedWhileOpen_FallsBackToPrevious()
    {
        Storage.SaveSnapshot(10, [1]);
        Storage.SaveSnapshot(20, [2]);
        ((FileNodeStorage)Storage).WaitForBackground(); // snapshot files are written on the thread pool
        File.WriteAllBytes(Path.Combine(VersionDirectory, "snapshot.14"), [1, 2, 3]);

        Assert.Equal(10, Storage.LoadLatestSnapshot()?.Zxid);
        Assert.Equal(10, Storage.LastLoggedZxid);
    }

    [Fact]
    public void SaveSnapshot_ThenAppend_StartsNewLogFile()
    {
        AppendRange(Storage, 1, 5);
        Storage.SaveSnapshot(3, [3]);
        AppendRange(Storage, 6, 8);
        Storage.Flush();

        Assert.Equal(["log.1", "log.6"], LogFiles());
        Assert.Equal(Range(1, 8), Zxids(Storage));
    }

    [Fact]
    public void SaveSnapshot_ThenReopenAndAppend_StartsNewLogFile()
    {
        AppendRange(Storage, 1, 5);
        Storage.SaveSnapshot(5, [5]);

        INodeStorage reopened = Reopen();
        AppendRange(reopened, 6, 8);
        reopened.Flush();
        reopened.Purge(1);
        ((FileNodeStorage)reopened).WaitForBackground();

        Assert.Equal(["log.6"], LogFiles());
        Assert.Equal(Range(6, 8), Zxids(reopened));
    }

    [Fact]
    public void Purge_FilesCoveredByOldestKeptSnapshot_DeletesWholeFilesOnly()
    {
        AppendRange(Storage, 1, 10);
        Storage.SaveSnapshot(10, [10]);
        AppendRange(Storage, 11, 20);
        Storage.SaveSnapshot(15, [15]);
        AppendRange(Storage, 21, 30);
        Storage.SaveSnapshot(25, [25]);
        Storage.Flush();

        Storage.Purge(2);
        ((FileNodeStorage)Storage).WaitForBackground(); // purged files are deleted on the thread pool

        Assert.Equal(["log.15", "log.b"], LogFiles()); // log.1 ends at 10 ≤ 15; log.b runs to 20
        Assert.Equal(["snapshot.19", "snapshot.f"], FileNames("snapshot.*"));
        Assert.Equal(Range(11, 30), Zxids(Storage));
    }

    [Fact]
    public void Purge_AfterSnapshotFileFailed_DeletesNothingAndThrows()
    {
        AppendRange(Storage, 1, 10);
        Storage.SaveSnapshot(5, [5]);
        AppendRange(Storage, 11, 20);
        Directory.CreateDirectory(Path.Combine(VersionDirectory, "snapshot.14.tmp")); // snapshot 20 cannot be written

        Storage.SaveSnapshot(20, [20]);

        // Would delete log.1, log.b and snapshot.5, all covered by snapshot 20. The snapshot fails on the thread
        // pool: the purge either finds that failure already (and throws) or is queued behind it (and skipped).
        try
        {
            Storage.Purge(1);
        }
        catch (IOException)
        {
        }

        var error = Assert.Throws<IOException>(((FileNodeStorage)Storage).WaitForBackground);
        Assert.Contains("snapshot", error.Message, StringComparison.Ordinal);
        Assert.Equal(["log.1", "log.b"], LogFiles());
        Assert.Equal(["snapshot.5"], FileNames("snapshot.*"));
        Assert.Throws<IOException>(() => Storage.Purge(1));
    }

    [Fact]
    public void Append_PastLogFileSize_RollsAndReadsAcrossFiles()
    {
        using var storage = new FileNodeStorage(Path.Combine(_root, "small"), FsyncPolicy.Batched, logFileBytes: 1000);
        AppendRange(storage, 1, 30, size: 84); // 100 bytes a record: ten a file

        int LogFileCount() => Directory.GetFiles(Path.Combine(_root, "small", "version-2"), "log.*").Length;
        Assert.Equal(3, LogFileCount());
        Assert.Equal(Range(1, 30), Zxids(storage));
        Assert.Equal(Range(23, 30), Zxids(storage, 22));

        storage.TruncateAfter(14);

        Assert.Equal(Range(1, 14), Zxids(storage));
        Assert.Equal(2, LogFileCount());
    }

    [Fact]
    public void Constructor_DirectoryInUse_ThrowsNamingTheDirectory()
    {
        _ = Storage;

        var error = Assert.Throws<IOException>(() => new FileNodeStorage(DataDirectory, FsyncPolicy.Batched));

        Assert.Contains(Path.GetFullPath(DataDirectory), error.Message, StringComparison.Ordinal);
        Assert.Contains("in use", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_AfterDispose_OpensAgain()
    {
        Storage.Dispose();

        using var second = new FileNodeStorage(DataDirectory, FsyncPolicy.Batched);

        Assert.Equal(0, second.LastLoggedZxid);
    }

    [Theory]
    [InlineData(FsyncPolicy.Off)]
    [InlineData(FsyncPolicy.Batched)]
    [InlineData(FsyncPolicy.Always)]
    public void Dispose_WithoutFlush_KeepsAppendedRecords(FsyncPolicy policy)
    {
        string directory = Path.Combine(_root, policy.ToString());
        using (var storage = new FileNodeStorage(directory, policy))
        {
            AppendRange(storage, 1, 100, size: 1000);
        }

        using var reopened = new FileNodeStorage(directory, policy);
        Assert.Equal(Range(1, 100), Zxids(reopened));
        Assert.All(reopened.ReadLog(0), r => Assert.Equal(RecordFor(r.Zxid, 1000), r.Record));
    }

    [Fact]
    public void Open_PreallocatedLog_StopsAtZerosAndAppendsContinue()
    {
        string directory = Path.Combine(_root, "preallocated");
        using (var storage = new FileNodeStorage(directory, FsyncPolicy.Batched, preallocateBytes: 1 << 20))
        {
            AppendRange(storage, 1, 10);
            storage.Flush();
            Assert.Equal(1 << 20, new FileInfo(Path.Combine(directory, "version-2", "log.1")).Length);
        }

        using (var storage = new FileNodeStorage(directory, FsyncPolicy.Batched, preallocateBytes: 1 << 20))
        {
            Assert.Equal(Range(1, 10), Zxids(storage));
            AppendRange(storage, 11, 20);
        }

        using var reopened = new FileNodeStorage(directory, FsyncPolicy.Batched);
        Assert.Equal(Range(1, 20), Zxids(reopened));
    }

    [Fact]
    public void Open_EmptyLogFileFromCrash_IsDiscarded()
    {
        AppendRange(Storage, 1, 3);
        Storage.SaveSnapshot(3, [3]);
        Storage.Dispose();
        File.WriteAllBytes(Path.Combine(VersionDirectory, "log.4"), []);
        File.WriteAllBytes(Path.Combine(VersionDirectory, "snapshot.9.tmp"), [9, 9]);

        INodeStorage reopened = Reopen();
        reopened.Append(4, RecordFor(4));
        reopened.Flush();

        Assert.Equal(Range(1, 4), Zxids(Reopen()));
        Assert.Equal(3, Storage.LoadLatestSnapshot()?.Zxid);
        Assert.Empty(FileNames("*.tmp"));
    }
}

public sealed class Crc32CTests
{
    [Fact]
    public void Compute_CheckString_MatchesCastagnoliCheckValue()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Append_InPieces_EqualsComputeOfWhole()
    {
        byte[] data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();

        uint pieces = Crc32C.Append(Crc32C.Append(Crc32C.Compute(data.AsSpan(0, 3)), data.AsSpan(3, 500)), data.AsSpan(503));

        Assert.Equal(Crc32C.Compute(data), pieces);
        Assert.Equal(Crc32C.ComputeSoftware(data), Crc32C.Compute(data));
    }
}
