using System.Buffers.Binary;
using System.Text;

namespace QuorumPortal.Engine.Embedded.Data;

/// <summary>
/// Writes big-endian primitives and length-prefixed strings/byte arrays into a span that the caller
/// sized with the <c>*Size</c> helpers, so encoding a txn is one pass with no intermediate buffers.
/// </summary>
internal ref struct SpanWriter
{
    // Lenient on purpose: a lone surrogate becomes U+FFFD instead of failing the leader; ZnodePath
    // rejects U+FFFD, so a txn applied before and after a round trip gets the same result.
    private static readonly Encoding Utf8 = Encoding.UTF8;

    private readonly Span<byte> _buffer;

    public SpanWriter(Span<byte> buffer) => _buffer = buffer;

    public int Position { get; private set; }

    public static int StringSize(string value) => 4 + Utf8.GetByteCount(value);

    public static int BytesSize(ReadOnlySpan<byte> value) => 4 + value.Length;

    public void WriteByte(byte value) => _buffer[Position++] = value;

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer[Position..], value);
        Position += 4;
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer[Position..], value);
        Position += 8;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_buffer[Position..], value);
        Position += 8;
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        value.CopyTo(_buffer[Position..]);
        Position += value.Length;
    }

    public void WriteString(string value)
    {
        var written = Utf8.GetBytes(value, _buffer[(Position + 4)..]);
        WriteInt32(written);
        Position += written;
    }
}
