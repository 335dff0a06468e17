using System.Buffers.Binary;

namespace QuorumPortal.Engine.Embedded.Storage;

// Snapshots, purging and SNAP resets. A snapshot file: "QPSN", version (int32), zxid (int64),
// length (int64), CRC-32C (uint32) of the content, then the content.
internal sealed partial class FileNodeStorage
{
    private const string SnapshotPrefix = "snapshot.";
    private const int SnapshotVersion = 1;
    private const int SnapshotHeaderSize = 28;

    // Zxids of the snapshot files believed intact (or queued to be written), oldest first.
    private readonly List<long> _snapshots = [];

    // Snapshot files and deletes of purged files, written one after another on the thread pool; the first failure stops the rest.
    private Task _background = Task.CompletedTask;
    private Exception? _backgroundFailure;

    private static ReadOnlySpan<byte> SnapshotMagic => "QPSN"u8;

    /// <remarks>
    /// The file is written on the thread pool (<see cref="Later"/>): a snapshot holds state the log already has,
    /// and the purge that will need it is queued behind it. <see cref="LoadLatestSnapshot"/> waits for it.
    /// </remarks>
    public void SaveSnapshot(long zxid, ReadOnlySpan<byte> snapshot)
    {
        ThrowIfDisposed();
        ThrowIfBackgroundFailed();
        byte[] file = SnapshotFile(zxid, snapshot);
        string path = SnapshotPath(zxid);
        Later(() => WriteSnapshotFile(path, file));
        AddSnapshot(zxid);
    }

    public (long Zxid, byte[] Data)? LoadLatestSnapshot()
    {
        ThrowIfDisposed();
        WaitForBackground();
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

    /// <remarks>The files are deleted on the thread pool (<see cref="Later"/>), after the snapshots queued before.</remarks>
    public void Purge(int retainSnapshots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retainSnapshots, 1);
        ThrowIfDisposed();
        ThrowIfBackgroundFailed();
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

        Later(() =>
        {
            foreach (string path in purged)
            {
                File.Delete(path);
            }

            SyncDirectory();
        });
    }

    /// <summary>Waits until the snapshot files and deletes queued so far are done; throws if one failed.</summary>
    internal void WaitForBackground()
    {
        _background.Wait();
        ThrowIfBackgroundFailed();
    }

    /// <summary>
    /// Runs file work that must not stall the thread that appends, after the work queued before it: closing a
    /// full log file, writing a snapshot (up to 30 ms), unlinking purged files (10–100 ms for a 64 MB log on ext4:
    /// the kernel drops its cached pages and frees its extents). A crash before the work runs loses nothing the log
    /// does not have: a purge's deletes run only after the snapshot it relies on is written, and files left behind
    /// are listed by the next open and purged again. A truncation or reset waits first (it may create a file of
    /// the same name), and so does every read of snapshots. Each job gets a thread of its own (LongRunning), not
    /// a thread-pool thread: blocked for tens of milliseconds, a pool thread is missed by every client callback.
    /// </summary>
    /// <param name="work">The file work.</param>
    /// <param name="evenAfterFailure">Run it even after an earlier job failed (closing a file); otherwise it is skipped.</param>
    private void Later(Action work, bool evenAfterFailure = false)
    {
        _background = _background.ContinueWith(
            _ =>
            {
                if (_backgroundFailure is not null && !evenAfterFailure)
                {
                    return; // a delete must not follow a snapshot that was not written
                }

                try
                {
                    work();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _backgroundFailure ??= e;
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.LongRunning,
            TaskScheduler.Default);
    }

    private void ThrowIfBackgroundFailed()
    {
        if (_background.IsCompleted && _backgroundFailure is { } failure)
        {
            throw new IOException($"Writing a snapshot or deleting purged files in '{_directory}' failed: {failure.Message}", failure);
        }
    }

    /// <remarks>
    /// Deletes first, then saves: a crash in between leaves the node with less than it had (it syncs again),
    /// never with the new snapshot next to records of the history it replaces.
    /// </remarks>
    public void ResetTo(long zxid, ReadOnlySpan<byte> snapshot)
    {
        ThrowIfDisposed();
        CloseWriter();
        WaitForBackground();
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

        // Written before it returns: the learner acknowledges the leader's history once it has it.
        WriteSnapshotFile(SnapshotPath(zxid), SnapshotFile(zxid, snapshot));
        AddSnapshot(zxid);
    }

    /// <summary>Header and content, so the file is one write.</summary>
    private static byte[] SnapshotFile(long zxid, ReadOnlySpan<byte> snapshot)
    {
        byte[] file = new byte[SnapshotHeaderSize + snapshot.Length];
        Span<byte> header = file.AsSpan(0, SnapshotHeaderSize);
        SnapshotMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], SnapshotVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], zxid);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], snapshot.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], Crc32C.Compute(snapshot));
        snapshot.CopyTo(file.AsSpan(SnapshotHeaderSize));
        return file;
    }

    // Temp file, fsync, rename, directory fsync: a crash leaves the whole snapshot or none.
    private void WriteSnapshotFile(string path, byte[] file)
    {
        string temp = path + TempSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            stream.Write(file);
            SyncFile(stream);
        }

        File.Move(temp, path, overwrite: true);
        SyncDirectory();
    }

    private void AddSnapshot(long zxid)
    {
        int index = _snapshots.BinarySearch(zxid);
        if (index < 0)
        {
            _snapshots.Insert(~index, zxid);
        }

        // Later records go to a new file, so once this snapshot is the oldest kept, Purge can delete whole files.
        CloseWriter();
        _rollPending = true;
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
