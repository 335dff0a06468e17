using QuorumPortal.Engine.Embedded.Storage;

namespace QuorumPortal.Engine.Tests.Embedded.Storage;

/// <summary>The contract on <see cref="MemoryNodeStorage"/>: a restart keeps the very same object, as the simulation does.</summary>
public sealed class MemoryNodeStorageTests : NodeStorageContract
{
    private protected override INodeStorage CreateStorage() => new MemoryNodeStorage();

    private protected override INodeStorage ReopenStorage(INodeStorage storage)
    {
        storage.Dispose(); // what a crashed node does; the data must survive it
        return storage;
    }

    [Fact]
    public void Purge_OldestKeptSnapshot_DropsEveryRecordItCovers()
    {
        var storage = new MemoryNodeStorage();
        AppendRange(storage, 1, 20);
        storage.SaveSnapshot(5, [5]);
        storage.SaveSnapshot(12, [12]);

        storage.Purge(1);

        Assert.Equal([12], storage.SnapshotZxids);
        Assert.Equal(8, storage.LogCount);
        Assert.Equal(Range(13, 20), Zxids(storage));
    }

    [Fact]
    public void ReadLog_LogChangesWhileEnumerating_Throws()
    {
        var storage = new MemoryNodeStorage();
        AppendRange(storage, 1, 3);

        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var record in storage.ReadLog(0))
            {
                storage.Append(record.Zxid + 10, Array.Empty<byte>());
            }
        });
    }
}
