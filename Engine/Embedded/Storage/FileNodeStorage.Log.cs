using System.Buffers.Binary;

namespace QuorumPortal.Engine.Embedded.Storage;

// The transaction log: appending, flushing, reading, truncating, and recovery on open.
internal sealed partial class FileNodeStorage
{
    private const string LogPrefix = "log.";

    // Large enough that a batch of ~1 KiB records costs one write call, not one per record.
    private const int WriteBufferSize = 64 * 1024;

    private readonly List<LogFile> _logs = [];
    private readonly byte[] _buffer = new byte[WriteBufferSize];
    private FileStream? _writer;
    private LogFile? _writerLog;
    private int _buffered;
    private long _allocated;
    private bool _unsynced;
    private bool _directoryUnsynced;
    private bool _rollPending;
    private long _lastLogZxid;

    public void Append(long zxid, ReadOnlyMemory<byte> record) => Append(zxid, record.Span);

    private void Append(long zxid, ReadOnlySpan<byte> record)
    {
        ThrowIfDisposed();
        long last = LastLoggedZxid;
        if (zxid <= last)
        {
            throw new InvalidOperationException($"Zxid 0x{zxid:x} does not follow the last logged zxid 0x{last:x}.");
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(record.Length, MaxRecordLength, nameof(record));

        LogFile log = EnsureWriter(zxid);
        int size = RecordHeaderSize + record.Length;
        if (size > _buffer.Length - _buffered)
        {
            WriteBuffer();
        }

        if (size <= _buffer.Length)
        {
            Span<byte> target = _buffer.AsSpan(_buffered, size);
            BinaryPrimitives.WriteInt64LittleEndian(target[8..], zxid);
            record.CopyTo(target[RecordHeaderSize..]);
            WriteRecordHeader(target, record.Length, Crc32C.Compute(target[8..]));
            _buffered += size;
        }
        else
        {
            Span<byte> header = stackalloc byte[RecordHeaderSize];
            BinaryPrimitives.WriteInt64LittleEndian(header[8..], zxid);
            WriteRecordHeader(header, record.Length, Crc32C.Append(Crc32C.Compute(header[8..]), record));
            WriteToFile(header);
            WriteToFile(record);
        }

        log.Length += size;
        log.LastZxid = zxid;
        _lastLogZxid = zxid;
        if (_policy == FsyncPolicy.Always)
        {
            SyncLog();
        }
    }

    public void Flush()
    {
        ThrowIfDisposed();
        if (_policy == FsyncPolicy.Off)
        {
            WriteBuffer(); // to the OS: survives a process crash
        }
        else
        {
            SyncLog();
        }
    }

    /// <remarks>Lazy; enumerate it before changing the storage again.</remarks>
    public IEnumerable<(long Zxid, byte[] Record)> ReadLog(long afterZxid)
    {
        ThrowIfDisposed();
        WriteBuffer(); // so the reader sees what was appended but not flushed
        var files = new List<(string Path, long Length)>();
        foreach (LogFile log in _logs)
        {
            if (log.LastZxid > afterZxid)
            {
                files.Add((log.Path, log.Length));
            }
        }

        return ReadFiles(files, afterZxid);
    }

    public void TruncateAfter(long zxid)
    {
        ThrowIfDisposed();
        CloseWriter();
        WaitForBackground();

        // A snapshot past the cut contains transactions the leader told us to forget.
        while (_snapshots.Count > 0 && _snapshots[^1] > zxid)
        {
            File.Delete(SnapshotPath(_snapshots[^1]));
            _snapshots.RemoveAt(_snapshots.Count - 1);
        }

        while (_logs.Count > 0 && _logs[^1].LastZxid > zxid)
        {
            LogFile log = _logs[^1];
            if (log.FirstZxid > zxid)
            {
                File.Delete(log.Path);
                _logs.RemoveAt(_logs.Count - 1);
                continue;
            }

            CutAfter(log, zxid);
        }

        _lastLogZxid = _logs.Count > 0 ? _logs[^1].LastZxid : 0;
        SyncDirectory();
    }

    private static IEnumerable<(long Zxid, byte[] Record)> ReadFiles(List<(string Path, long Length)> files, long afterZxid)
    {
        foreach ((string path, long length) in files)
        {
            using var reader = LogReader.Open(path, length);
            LogReadStatus status;
            while ((status = reader.Next()) == LogReadStatus.Record)
            {
                if (reader.Zxid > afterZxid)
                {
                    yield return (reader.Zxid, reader.Payload.ToArray());
                }
            }

            if (status == LogReadStatus.Corrupt || reader.GoodEnd != length)
            {
                throw new InvalidDataException($"Log file '{path}' changed or was damaged while it was open.");
            }
        }
    }

    /// <summary>Cuts <paramref name="log"/> after its last record with a zxid not above <paramref name="zxid"/>.</summary>
    private void CutAfter(LogFile log, long zxid)
    {
        long end = LogHeaderSize;
        long last = 0;
        using (var reader = LogReader.Open(log.Path, log.Length))
        {
            while (reader.Next() == LogReadStatus.Record && reader.Zxid <= zxid)
            {
                end = reader.GoodEnd;
                last = reader.Zxid;
            }
        }

        using (var stream = new FileStream(log.Path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0))
        {
            stream.SetLength(end);
            SyncFile(stream);
        }

        log.Length = end;
        log.LastZxid = last;
    }

    /// <summary>Scans every log file, cuts the log at the first torn or corrupt record, and sets aside what follows.</summary>
    private void OpenLogs()
    {
        List<(long Zxid, string Path)> files = ListFiles(LogPrefix);
        long previous = 0;
        for (int i = 0; i < files.Count; i++)
        {
            string path = files[i].Path;
            long fileLength = new FileInfo(path).Length;
            long firstZxid = 0;
            long goodEnd = 0;
            LogReadStatus status;
            using (LogReader reader = LogReader.Open(path, fileLength))
            {
                while ((status = reader.Next()) == LogReadStatus.Record)
                {
                    if (reader.Zxid <= previous)
                    {
                        status = LogReadStatus.Corrupt; // out of order: not a record this storage wrote here
                        break;
                    }

                    firstZxid = firstZxid == 0 ? reader.Zxid : firstZxid;
                    previous = reader.Zxid;
                    goodEnd = reader.GoodEnd;
                }
            }

            if (firstZxid == 0)
            {
                // Nothing intact in it: typically a file created just before a crash.
                File.Delete(path);
            }
            else
            {
                if (goodEnd != fileLength)
                {
                    // Drops a torn tail (and preallocated zeros) so appends continue right after the last record.
                    using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
                    stream.SetLength(goodEnd);
                    SyncFile(stream);
                }

                _logs.Add(new LogFile(path, firstZxid) { LastZxid = previous, Length = goodEnd });
            }

            if (status == LogReadStatus.Corrupt)
            {
                // Later files would leave a gap in the log; keep them only for a human to look at.
                for (int j = i + 1; j < files.Count; j++)
                {
                    SetAside(files[j].Path);
                }

                break;
            }
        }

        _lastLogZxid = _logs.Count > 0 ? _logs[^1].LastZxid : 0;

        // The roll a snapshot asked for must outlive a restart, or the covered file could never be purged.
        _rollPending = _logs.Count > 0 && _snapshots.Count > 0 && _snapshots[^1] >= _logs[^1].FirstZxid;
    }

    /// <summary>The file the next record goes to: the current one, the last one continued, or a new one named after <paramref name="zxid"/>.</summary>
    private LogFile EnsureWriter(long zxid)
    {
        if (_writer is not null && _writerLog!.Length < _logFileBytes)
        {
            return _writerLog;
        }

        CloseWriter();
        if (!_rollPending && _logs.Count > 0 && _logs[^1].Length < _logFileBytes)
        {
            LogFile last = _logs[^1];
            _writer = new FileStream(last.Path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
            _allocated = _writer.Length;
            _writer.Position = last.Length;
            _writerLog = last;
            return last;
        }

        var log = new LogFile(Path.Combine(_directory, LogPrefix + zxid.ToString("x")), zxid) { Length = LogHeaderSize };
        _writer = new FileStream(log.Path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _allocated = 0;
        _writerLog = log;
        _logs.Add(log);
        _rollPending = false;
        _directoryUnsynced = true;
        WriteLogHeader(_buffer.AsSpan(_buffered, LogHeaderSize));
        _buffered += LogHeaderSize;
        return log;
    }

    private void WriteBuffer()
    {
        if (_buffered > 0)
        {
            WriteToFile(_buffer.AsSpan(0, _buffered));
            _buffered = 0;
        }
    }

    private void WriteToFile(ReadOnlySpan<byte> data)
    {
        FileStream writer = _writer!;
        long end = writer.Position + data.Length;
        if (_preallocateBytes > 0 && end > _allocated)
        {
            // Zeros ahead of the data, so fsync rarely has to update the file size; recovery stops at a zero length.
            _allocated = Math.Max(end, _allocated + _preallocateBytes);
            writer.SetLength(_allocated);
        }

        writer.Write(data);
        _unsynced = true;
    }

    private void SyncLog()
    {
        if (_writer is null)
        {
            return;
        }

        WriteBuffer();
        if (_unsynced)
        {
            _writer.Flush(flushToDisk: true);
            _unsynced = false;
        }

        if (_directoryUnsynced)
        {
            DirectorySync.Sync(_directory); // the new file's name must survive too
            _directoryUnsynced = false;
        }
    }

    /// <summary>
    /// Writes out what is buffered (fsyncing unless the policy is Off: a later Flush will not see this file) and
    /// closes the file in the background: closing a 64 MB log on ext4 took up to 100 ms (on several members at
    /// once), which stalled the thread that appends and with it every ack. Nothing durable depends on the close.
    /// </summary>
    private void CloseWriter()
    {
        if (_writer is null)
        {
            return;
        }

        if (_policy == FsyncPolicy.Off)
        {
            WriteBuffer();
        }
        else
        {
            SyncLog();
        }

        FileStream closing = _writer;
        Later(closing.Dispose, evenAfterFailure: true);
        _writer = null;
        _writerLog = null;
        _unsynced = false;
    }

    private sealed class LogFile(string path, long firstZxid)
    {
        public string Path { get; } = path;

        public long FirstZxid { get; } = firstZxid;

        public long LastZxid { get; set; }

        /// <summary>Bytes up to the end of the last record, buffered ones included; preallocated zeros are not.</summary>
        public long Length { get; set; }
    }
}
