using System.Buffers.Binary;

namespace QuorumPortal.Engine.Embedded.Storage;

// The log file format. A file: "QPLG", version (int32). Then records, little-endian:
// length (int32, = 8 + payload bytes, so never 0), CRC-32C (uint32) of zxid + payload, zxid (int64), payload.
// A zero length ends the records: it is what preallocated space reads as.
internal sealed partial class FileNodeStorage
{
    private const int LogVersion = 1;
    private const int LogHeaderSize = 8;
    private const int RecordHeaderSize = 16;
    private const int MaxRecordLength = int.MaxValue - RecordHeaderSize;

    private static ReadOnlySpan<byte> LogMagic => "QPLG"u8;

    private static void WriteLogHeader(Span<byte> target)
    {
        LogMagic.CopyTo(target);
        BinaryPrimitives.WriteInt32LittleEndian(target[4..], LogVersion);
    }

    private static void WriteRecordHeader(Span<byte> target, int payloadLength, uint crc)
    {
        BinaryPrimitives.WriteInt32LittleEndian(target, payloadLength + sizeof(long));
        BinaryPrimitives.WriteUInt32LittleEndian(target[4..], crc);
    }

    private enum LogReadStatus
    {
        Record,

        /// <summary>The end of the file, or zeros where the next record would be.</summary>
        End,

        /// <summary>A torn or damaged record, or a header this storage did not write.</summary>
        Corrupt,
    }

    /// <summary>Reads one log file's records in order, verifying each; stops at the first that is not intact.</summary>
    private sealed class LogReader : IDisposable
    {
        private readonly FileStream _stream;
        private readonly long _limit;
        private byte[] _payload = new byte[4096];
        private int _payloadLength;
        private bool _headerRead;

        private LogReader(FileStream stream, long limit)
        {
            _stream = stream;
            _limit = limit;
        }

        public long Zxid { get; private set; }

        public ReadOnlySpan<byte> Payload => _payload.AsSpan(0, _payloadLength);

        /// <summary>Where the last intact record (or the file header) ends.</summary>
        public long GoodEnd { get; private set; }

        /// <summary>Reads at most <paramref name="limit"/> bytes of the file: what is known to be written.</summary>
        public static LogReader Open(string path, long limit)
        {
            var stream = new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 64 * 1024, FileOptions.SequentialScan);
            return new LogReader(stream, Math.Min(limit, stream.Length));
        }

        public LogReadStatus Next()
        {
            if (!_headerRead)
            {
                LogReadStatus header = ReadFileHeader();
                if (header != LogReadStatus.Record)
                {
                    return header;
                }

                _headerRead = true;
            }

            long remaining = _limit - GoodEnd;
            if (remaining == 0)
            {
                return LogReadStatus.End;
            }

            Span<byte> recordHeader = stackalloc byte[RecordHeaderSize];
            if (remaining < RecordHeaderSize)
            {
                Span<byte> tail = recordHeader[..(int)remaining];
                _stream.ReadExactly(tail);
                return tail.ContainsAnyExcept((byte)0) ? LogReadStatus.Corrupt : LogReadStatus.End;
            }

            _stream.ReadExactly(recordHeader);
            int length = BinaryPrimitives.ReadInt32LittleEndian(recordHeader);
            if (length == 0)
            {
                return LogReadStatus.End;
            }

            if (length < sizeof(long) || length - sizeof(long) > remaining - RecordHeaderSize)
            {
                return LogReadStatus.Corrupt;
            }

            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(recordHeader[4..]);
            int payloadLength = length - sizeof(long);
            if (_payload.Length < payloadLength)
            {
                _payload = new byte[Math.Max(payloadLength, _payload.Length * 2)];
            }

            _stream.ReadExactly(_payload, 0, payloadLength);
            if (Crc32C.Append(Crc32C.Compute(recordHeader[8..]), _payload.AsSpan(0, payloadLength)) != crc)
            {
                return LogReadStatus.Corrupt;
            }

            Zxid = BinaryPrimitives.ReadInt64LittleEndian(recordHeader[8..]);
            _payloadLength = payloadLength;
            GoodEnd += RecordHeaderSize + payloadLength;
            return LogReadStatus.Record;
        }

        public void Dispose() => _stream.Dispose();

        private LogReadStatus ReadFileHeader()
        {
            if (_limit < LogHeaderSize)
            {
                Span<byte> partial = stackalloc byte[(int)_limit];
                _stream.ReadExactly(partial);
                return partial.ContainsAnyExcept((byte)0) ? LogReadStatus.Corrupt : LogReadStatus.End;
            }

            Span<byte> header = stackalloc byte[LogHeaderSize];
            _stream.ReadExactly(header);
            if (!header.ContainsAnyExcept((byte)0))
            {
                return LogReadStatus.End; // preallocated before the header was written
            }

            if (!header[..4].SequenceEqual(LogMagic))
            {
                return LogReadStatus.Corrupt;
            }

            int version = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
            if (version != LogVersion)
            {
                throw new InvalidDataException($"Log file '{_stream.Name}' has format version {version}; this build reads {LogVersion}.");
            }

            GoodEnd = LogHeaderSize;
            return LogReadStatus.Record;
        }
    }
}
