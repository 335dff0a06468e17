using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace QuorumPortal.Engine.ZooKeeper.Jute;

/// <summary>
/// Writes jute's binary encoding (big-endian, <c>-1</c> length for null buffers, strings and vectors)
/// into an <see cref="IBufferWriter{T}"/>.
/// </summary>
public readonly struct JuteWriter(IBufferWriter<byte> output)
{
    public void WriteInt(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public void WriteLong(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public void WriteBool(bool value)
    {
        output.GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        output.Advance(1);
    }

    /// <summary>A buffer; null is written as length -1 (distinct from an empty buffer).</summary>
    public void WriteBuffer(ReadOnlySpan<byte> value, bool isNull = false)
    {
        if (isNull)
        {
            WriteInt(-1);
            return;
        }

        WriteInt(value.Length);
        output.Write(value);
    }

    public void WriteBuffer(byte[]? value) => WriteBuffer(value, value is null);

    /// <summary>A UTF-8 string; null is written as length -1.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt(length);
        Encoding.UTF8.GetBytes(value, output.GetSpan(length));
        output.Advance(length);
    }

    public void WriteVector<T>(IReadOnlyList<T>? items, Action<JuteWriter, T> writeItem)
    {
        if (items is null)
        {
            WriteInt(-1);
            return;
        }

        WriteInt(items.Count);
        foreach (var item in items)
        {
            writeItem(this, item);
        }
    }

    public void WriteStrings(IReadOnlyList<string>? items) => WriteVector(items, static (w, s) => w.WriteString(s));
}
