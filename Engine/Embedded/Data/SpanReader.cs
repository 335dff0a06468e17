using System.Buffers.Binary;
using System.Text;

namespace QuorumPortal.Engine.Embedded.Data;

/// <summary>
/// Reads what <see cref="SpanWriter"/> wrote. Every read is bounds-checked and every failure is an
/// <see cref="InvalidDataException"/> naming what was being read and where, so a corrupt log record or
/// snapshot is reported as corrupt data, never as an IndexOutOfRangeException.
/// </summary>
internal ref struct SpanReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _buffer;
    private readonly string _what;

    public SpanReader(ReadOnlySpan<byte> buffer, string what)
    {
        _buffer = buffer;
        _what = what;
    }

    public int Position { get; private set; }

    public readonly int Remaining => _buffer.Length - Position;

    public byte ReadByte(string field) => Take(1, field)[0];

    public int ReadInt32(string field) => BinaryPrimitives.ReadInt32BigEndian(Take(4, field));

    public long ReadInt64(string field) => BinaryPrimitives.ReadInt64BigEndian(Take(8, field));

    public ulong ReadUInt64(string field) => BinaryPrimitives.ReadUInt64BigEndian(Take(8, field));

    public byte[] ReadBytes(string field) => Take(ReadLength(field), field).ToArray();

    /// <summary>Where a length-prefixed byte array lies in the buffer, skipping it: for callers that slice instead of copying.</summary>
    public Range ReadBytesRange(string field)
    {
        var length = ReadLength(field);
        var start = Position;
        Take(length, field);
        return new Range(start, start + length);
    }

    public string ReadString(string field)
    {
        var bytes = Take(ReadLength(field), field);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw Fail($"{field} is not valid UTF-8", e);
        }
    }

    /// <summary>A count of items that each take at least <paramref name="minItemSize"/> bytes; checked against what is left.</summary>
    public int ReadCount(string field, int minItemSize)
    {
        var at = Position;
        var count = ReadInt32(field);
        if (count < 0 || (long)count * minItemSize > Remaining)
        {
            throw Fail($"{field} {count} at offset {at} is impossible with {Remaining} bytes left");
        }

        return count;
    }

    public readonly void EnsureEnd()
    {
        if (Remaining != 0)
        {
            throw Fail($"{Remaining} unexpected trailing bytes at offset {Position}");
        }
    }

    public readonly InvalidDataException Fail(string message, Exception? inner = null) =>
        new($"Corrupt {_what} ({_buffer.Length} bytes): {message}.", inner);

    private int ReadLength(string field)
    {
        var at = Position;
        var length = ReadInt32(field + " length");
        if (length < 0 || length > Remaining)
        {
            throw Fail($"{field} length {length} at offset {at} is out of range ({Remaining} bytes left)");
        }

        return length;
    }

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count > Remaining)
        {
            throw Fail($"truncated reading {field}: needs {count} bytes at offset {Position}, {Remaining} left");
        }

        var slice = _buffer.Slice(Position, count);
        Position += count;
        return slice;
    }
}
