using System.Buffers.Binary;
using System.Text;

namespace QuorumPortal.Engine.ZooKeeper.Jute;

/// <summary>
/// Reads jute's binary encoding from one complete frame. Every read checks what is left, so a truncated or
/// lying record fails with <see cref="InvalidDataException"/>, never an index error.
/// </summary>
public ref struct JuteReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4, "int"));

    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8, "long"));

    public bool ReadBool() => Take(1, "bool")[0] != 0;

    /// <summary>A buffer, or null when its length is -1.</summary>
    public byte[]? ReadBuffer()
    {
        var length = ReadLength("buffer");
        return length < 0 ? null : Take(length, "buffer").ToArray();
    }

    public string? ReadString()
    {
        var length = ReadLength("ustring");
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length, "ustring"));
    }

    public List<T>? ReadVector<T>(JuteItemReader<T> readItem)
    {
        var count = ReadLength("vector");
        if (count < 0)
        {
            return null;
        }

        // Every element takes at least one byte, so a count beyond what is left is a lie, not a big vector.
        if (count > Remaining)
        {
            throw Truncated("vector", count);
        }

        var items = new List<T>(count);
        for (var i = 0; i < count; i++)
        {
            items.Add(readItem(ref this));
        }

        return items;
    }

    public List<string>? ReadStrings() => ReadVector(static (ref JuteReader r) => r.ReadString() ?? string.Empty);

    /// <summary>Fails unless the whole frame was consumed.</summary>
    public readonly void ExpectEnd(string record)
    {
        if (Remaining != 0)
        {
            throw new InvalidDataException($"jute: {Remaining} unexpected bytes after {record} at offset {_position}");
        }
    }

    private int ReadLength(string what)
    {
        var length = ReadInt();
        if (length < -1)
        {
            throw new InvalidDataException($"jute: negative {what} length {length} at offset {_position - 4}");
        }

        return length;
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > Remaining)
        {
            throw Truncated(what, count);
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    private readonly InvalidDataException Truncated(string what, int needed) =>
        new($"jute: truncated record: {what} needs {needed} bytes at offset {_position}, {Remaining} left");
}

public delegate T JuteItemReader<out T>(ref JuteReader reader);
