using System.Buffers.Binary;

namespace QuorumPortal.Engine.Embedded.Storage;

// Snapshots, purging and SNAP resets. A snapshot file: "QPSN", version (int32), zxid (int64),
// length (int64), CRC-32C (uint32) of the content, then the content.
internal sealed partial class FileNodeStorage
{
    private const string SnapshotPrefix = "snapshot.";
    private const int SnapshotVersion = 1;
    private const int SnapshotHeaderSize = 28;

    // Zxids of the snapshot files believed intact, oldest first.
    private readonly List<long> _snapshots = [];

    // The chain of deletes of purged files, and the first failure among them.
    private Task _deletes = Task.CompletedTask;
    private Exception? _deleteFailure;

    private static ReadOnlySpan<byte> SnapshotMagic => "QPSN"u8;

    public void SaveSnapshot(long zxid, ReadOnlySpan<byte> snapshot)
    {
        ThrowIfDisposed();
        string path = SnapshotPath(zxid);
        string temp = path + TempSuffix;
        Span<byte> header = stackalloc byte[SnapshotHeaderSize];
        SnapshotMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], SnapshotVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], zxid);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], snapshot.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], Crc32C.Compute(snapshot));
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            stream.Write(header);
            stream.Write(snapshot);
            SyncFile(stream);
        }

        File.Move(temp, path, overwrite: true);
        SyncDirectory();

        int index = _snapshots.BinarySearch(zxid);
        if (index < 0)
        {
            _snapshots.Insert(~index, zxid);
        }

        // Later records go to a new file, so once this snapshot is the oldest kept, Purge can delete whole files.
        CloseWriter();
        _rollPending = true;
    }

    public (long Zxid, byte[] Data)? LoadLatestSnapshot()
    {
        ThrowIfDisposed();
        while (_snapshots.Count > 0)
        {
            long zxid = _snapshots[^1];
            byte[]? data = ReadSnapshot(SnapshotPath(zxid), zxid, keepContent: true);
            if (data is not null)
            {
                return (zxid, data);
            }

            SetAside(SnapshotPath(zxid));
            _snapshots.RemoveAt(_snapshots.Count - 1);
        }

        return null;
    }

    /// <remarks>The files are deleted later on the thread pool; see <see cref="DeleteLater"/>.</remarks>
    public void Purge(int retainSnapshots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retainSnapshots, 1);
        ThrowIfDisposed();
        ThrowIfDeleteFailed();
        if (_snapshots.Count == 0)
        {
            return;
        }

        var purged = new List<string>();
        while (_snapshots.Count > retainSnapshots)
        {
            purged.Add(SnapshotPath(_snapshots[0]));
            _snapshots.RemoveAt(0);
        }

        // Only whole files go: a file whose last record is newer than the oldest kept snapshot is still needed.
        long oldestKept = _snapshots[0];
        while (_logs.Count > 0 && _logs[0] != _writerLog && _logs[0].LastZxid <= oldestKept)
        {
            purged.Add(_logs[0].Path);
            _logs.RemoveAt(0);
        }

        DeleteLater(purged);
    }

    /// <summary>Waits until every file purged so far is deleted; throws if a delete failed.</summary>
    internal void WaitForDeletes()
    {
        _deletes.Wait();
        ThrowIfDeleteFailed();
    }

    /// <summary>
    /// Unlinking a purged 64 MB log file takes 10–100 ms on ext4 (the kernel drops its cached pages and frees its
    /// extents), which must not stall the thread that appends. The files are no longer part of the storage, so
    /// they go on the thread pool, one purge after another. A crash before the delete only leaves old files, which
    /// the next open lists and the next purge removes again; a truncation or reset waits first, because it may
    /// create a file of the same name.
    /// </summary>
    private void DeleteLater(List<string> paths)
    {
        if (paths.Count == 0)
        {
            return;
        }

        _deletes = _deletes.ContinueWith(
            _ =>
            {
                try
                {
                    foreach (string path in paths)
                    {
                        File.Delete(path);
                    }

                    SyncDirectory();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _deleteFailure ??= e;
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    private void ThrowIfDeleteFailed()
    {
        if (_deletes.IsCompleted && _deleteFailure is { } failure)
        {
            _deleteFailure = null;
            throw new IOException($"Purged files in '{_directory}' could not be deleted: {failure.Message}", failure);
        }
    }

    /// <remarks>
    /// Deletes first, then saves: a crash in between leaves the node with less than it had (it syncs again),
    /// never with the new snapshot next to records of the history it replaces.
    /// </remarks>
    public void ResetTo(long zxid, ReadOnlySpan<byte> snapshot)
    {
        ThrowIfDisposed();
        WaitForDeletes();
        CloseWriter();
        foreach (LogFile log in _logs)
        {
            File.Delete(log.Path);
        }

        _logs.Clear();
        _lastLogZxid = 0;
        foreach (long old in _snapshots)
        {
            File.Delete(SnapshotPath(old));
        }

        _snapshots.Clear();
        SyncDirectory();
        SaveSnapshot(zxid, snapshot);
    }

    /// <summary>Indexes the snapshot files; the newest must read back intact, else it is set aside for the one before.</summary>
    private void OpenSnapshots()
    {
        foreach ((long zxid, _) in ListFiles(SnapshotPrefix))
        {
            _snapshots.Add(zxid);
        }

        while (_snapshots.Count > 0 && ReadSnapshot(SnapshotPath(_snapshots[^1]), _snapshots[^1], keepContent: false) is null)
        {
            SetAside(SnapshotPath(_snapshots[^1]));
            _snapshots.RemoveAt(_snapshots.Count - 1);
        }
    }

    private string SnapshotPath(long zxid) => Path.Combine(_directory, SnapshotPrefix + zxid.ToString("x"));

    /// <summary>The content if the file is intact (an empty array when <paramref name="keepContent"/> is false), else null.</summary>
    private static byte[]? ReadSnapshot(string path, long zxid, bool keepContent)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        Span<byte> header = stackalloc byte[SnapshotHeaderSize];
        if (stream.Length < SnapshotHeaderSize)
        {
            return null;
        }

        stream.ReadExactly(header);
        long length = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        if (!header[..4].SequenceEqual(SnapshotMagic)
            || BinaryPrimitives.ReadInt32LittleEndian(header[4..]) != SnapshotVersion
            || BinaryPrimitives.ReadInt64LittleEndian(header[8..]) != zxid
            || length != stream.Length - SnapshotHeaderSize
            || length > Array.MaxLength)
        {
            return null;
        }

        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
        if (keepContent)
        {
            byte[] data = new byte[length];
            stream.ReadExactly(data);
            return Crc32C.Compute(data) == expected ? data : null;
        }

        // Verify in chunks: checking the newest snapshot on open should not hold a second copy of it in memory.
        byte[] chunk = new byte[64 * 1024];
        uint crc = Crc32C.Compute([]);
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            crc = Crc32C.Append(crc, chunk.AsSpan(0, read));
        }

        return crc == expected ? [] : null;
    }
}
