using System.Globalization;
using System.Text;

namespace QuorumPortal.Engine.Embedded.Storage;

/// <summary>
/// <see cref="INodeStorage"/> in a data directory laid out like ZooKeeper's: <c>version-2/acceptedEpoch</c>,
/// <c>currentEpoch</c>, <c>log.&lt;hex zxid&gt;</c> and <c>snapshot.&lt;hex zxid&gt;</c>. Opening it recovers from
/// a crash: a torn or corrupt log tail is cut at the last intact record, a corrupt snapshot is set aside.
/// </summary>
/// <remarks>
/// One instance per directory, enforced by a lock file. Not thread-safe: the node calls it from its loop.
/// Under <see cref="FsyncPolicy.Off"/> nothing is fsynced, epochs and snapshots included; renames stay atomic.
/// </remarks>
internal sealed partial class FileNodeStorage : INodeStorage
{
    /// <summary>A log file past this size is closed and the next record starts a new one.</summary>
    public const long DefaultLogFileBytes = 64L << 20;

    private const string VersionDirectoryName = "version-2";
    private const string LockFileName = ".lock";
    private const string AcceptedEpochFileName = "acceptedEpoch";
    private const string CurrentEpochFileName = "currentEpoch";
    private const string TempSuffix = ".tmp";
    private const string CorruptSuffix = ".corrupt";

    private readonly string _directory;
    private readonly FsyncPolicy _policy;
    private readonly long _preallocateBytes;
    private readonly long _logFileBytes;
    private readonly FileStream _lock;
    private bool _disposed;

    /// <param name="dataDirectory">Created if missing; the files live in its <c>version-2</c> folder.</param>
    /// <param name="policy">When appended records are fsynced.</param>
    /// <param name="preallocateBytes">Grow log files in steps of this many bytes (0: no preallocation).</param>
    /// <param name="logFileBytes">Roll to a new log file once the current one reaches this size.</param>
    public FileNodeStorage(string dataDirectory, FsyncPolicy policy, long preallocateBytes = 0, long logFileBytes = DefaultLogFileBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentOutOfRangeException.ThrowIfNegative(preallocateBytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(logFileBytes, LogHeaderSize);

        DataDirectory = Path.GetFullPath(dataDirectory);
        _directory = Path.Combine(DataDirectory, VersionDirectoryName);
        _policy = policy;
        _preallocateBytes = preallocateBytes;
        _logFileBytes = logFileBytes;

        Directory.CreateDirectory(_directory);
        _lock = AcquireLock(DataDirectory);
        try
        {
            AcceptedEpoch = ReadEpoch(AcceptedEpochFileName);
            CurrentEpoch = ReadEpoch(CurrentEpochFileName);
            foreach (string temp in Directory.EnumerateFiles(_directory, "*" + TempSuffix))
            {
                File.Delete(temp); // a write that crashed before its rename
            }

            OpenSnapshots();
            OpenLogs();
        }
        catch
        {
            _lock.Dispose();
            throw;
        }
    }

    /// <summary>The full path of the data directory (the parent of <c>version-2</c>).</summary>
    public string DataDirectory { get; }

    public long AcceptedEpoch { get; private set; }

    public long CurrentEpoch { get; private set; }

    public long LastLoggedZxid => Math.Max(_lastLogZxid, _snapshots.Count > 0 ? _snapshots[^1] : 0);

    public void SetAcceptedEpoch(long epoch)
    {
        ThrowIfDisposed();
        WriteEpoch(AcceptedEpochFileName, epoch);
        AcceptedEpoch = epoch;
    }

    public void SetCurrentEpoch(long epoch)
    {
        ThrowIfDisposed();
        WriteEpoch(CurrentEpochFileName, epoch);
        CurrentEpoch = epoch;
    }

    /// <summary>Closes the files. Buffered records are written out (and fsynced unless the policy is Off) first, and purged files deleted.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            CloseWriter();
        }
        finally
        {
            // Background file work finishes before the lock goes, so the next owner of the directory never races it.
            _background.Wait();
            _lock.Dispose();
        }
    }

    private static FileStream AcquireLock(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, LockFileName);
        try
        {
            // FileShare.None takes an exclusive lock (flock on Unix), also against this process.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException(
                $"The data directory '{dataDirectory}' is already in use by another FileNodeStorage (cannot lock '{path}').", e);
        }
    }

    private long ReadEpoch(string name)
    {
        string path = Path.Combine(_directory, name);
        if (!File.Exists(path))
        {
            return 0;
        }

        string text = File.ReadAllText(path).Trim();
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long epoch)
            ? epoch
            : throw new InvalidDataException($"'{path}' does not hold an epoch: '{text}'.");
    }

    // Temp file, fsync, rename: a crash leaves either the old value or the new one, never a torn file.
    private void WriteEpoch(string name, long epoch)
    {
        string path = Path.Combine(_directory, name);
        string temp = path + TempSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            stream.Write(Encoding.ASCII.GetBytes(epoch.ToString(CultureInfo.InvariantCulture) + "\n"));
            SyncFile(stream);
        }

        File.Move(temp, path, overwrite: true);
        SyncDirectory();
    }

    private void SyncFile(FileStream stream)
    {
        if (_policy != FsyncPolicy.Off)
        {
            stream.Flush(flushToDisk: true);
        }
    }

    private void SyncDirectory()
    {
        if (_policy != FsyncPolicy.Off)
        {
            DirectorySync.Sync(_directory);
        }
    }

    private static void SetAside(string path) => File.Move(path, path + CorruptSuffix, overwrite: true);

    /// <summary>Files named <paramref name="prefix"/> + hex zxid, oldest first; temp and set-aside files do not parse.</summary>
    private List<(long Zxid, string Path)> ListFiles(string prefix)
    {
        var files = new List<(long Zxid, string Path)>();
        foreach (string path in Directory.EnumerateFiles(_directory, prefix + "*"))
        {
            string suffix = Path.GetFileName(path)[prefix.Length..];
            if (long.TryParse(suffix, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long zxid))
            {
                files.Add((zxid, path));
            }
        }

        files.Sort((a, b) => a.Zxid.CompareTo(b.Zxid));
        return files;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
