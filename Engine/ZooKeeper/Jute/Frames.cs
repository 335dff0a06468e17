using System.Buffers;
using System.Buffers.Binary;

namespace QuorumPortal.Engine.ZooKeeper.Jute;

/// <summary>
/// A growable buffer holding one length-prefixed frame: four bytes reserved for the length, then the
/// payload; <see cref="Complete"/> fills the length in.
/// </summary>
public sealed class FrameBuffer : IBufferWriter<byte>
{
    private byte[] _buffer;
    private int _written;

    public FrameBuffer(int initialCapacity = 256)
    {
        _buffer = new byte[Math.Max(initialCapacity, 16)];
        _written = 4;
    }

    public JuteWriter Writer => new(this);

    /// <summary>The frame so far, length prefix included.</summary>
    public ReadOnlyMemory<byte> Frame => _buffer.AsMemory(0, _written);

    public Span<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Writes the payload length into the prefix and returns the whole frame.</summary>
    public ReadOnlyMemory<byte> Complete()
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer, _written - 4);
        return Frame;
    }

    /// <summary>Builds a frame from records written back to back (e.g. a header and a body).</summary>
    public static byte[] Build(params ReadOnlySpan<IJuteRecord> records)
    {
        var frame = new FrameBuffer();
        foreach (var record in records)
        {
            record.Write(frame.Writer);
        }

        return frame.Complete().ToArray();
    }

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }
    }
}

/// <summary>
/// Cuts a byte stream into length-prefixed frames across partial reads. A negative length, or one above
/// <see cref="MaxFrameLength"/> (ZooKeeper's <c>jute.maxbuffer</c>), is a protocol error, reported as
/// <see cref="InvalidDataException"/> before any memory is reserved for it.
/// </summary>
public sealed class FrameDecoder(int maxFrameLength = FrameDecoder.DefaultMaxFrameLength)
{
    public const int DefaultMaxFrameLength = 64 * 1024 * 1024;

    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;

    public int MaxFrameLength { get; } = maxFrameLength > 0
        ? maxFrameLength
        : throw new ArgumentOutOfRangeException(nameof(maxFrameLength), "must be positive");

    /// <summary>Bytes received but not yet returned as frames.</summary>
    public int Buffered => _end - _start;

    /// <summary>Where the next read from the stream goes; call <see cref="Advance"/> with the count read.</summary>
    public Memory<byte> GetReadBuffer()
    {
        if (_start > 0)
        {
            // Move the unconsumed tail to the front; a frame handed out earlier must be done with by now.
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        var wanted = _end + 4096;
        if (_end - _start >= 4)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
            if (length >= 0 && length <= MaxFrameLength)
            {
                wanted = Math.Max(wanted, _start + 4 + length);
            }
        }

        if (wanted > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(wanted, Math.Min(_buffer.Length * 2, MaxFrameLength + 4)));
        }

        return _buffer.AsMemory(_end);
    }

    public void Advance(int count)
    {
        if (count < 0 || _end + count > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _end += count;
    }

    /// <summary>Copies bytes in (for tests and callers that already hold the data).</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var target = GetReadBuffer().Span;
            var n = Math.Min(target.Length, data.Length);
            data[..n].CopyTo(target);
            Advance(n);
            data = data[n..];
        }
    }

    /// <summary>
    /// The next complete frame's payload, valid until the next call to <see cref="GetReadBuffer"/> or <see cref="Append"/>.
    /// </summary>
    public bool TryReadFrame(out ReadOnlyMemory<byte> payload)
    {
        payload = default;
        if (_end - _start < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
        if (length < 0)
        {
            throw new InvalidDataException($"frame: negative length {length}");
        }

        if (length > MaxFrameLength)
        {
            throw new InvalidDataException($"frame: length {length} exceeds the limit of {MaxFrameLength} bytes (jute.maxbuffer)");
        }

        if (_end - _start - 4 < length)
        {
            return false;
        }

        payload = _buffer.AsMemory(_start + 4, length);
        _start += 4 + length;
        return true;
    }

    /// <summary>Call at end of stream: leftover bytes are a truncated frame.</summary>
    public void Complete()
    {
        if (_end != _start)
        {
            throw new InvalidDataException($"frame: stream ended inside a frame ({_end - _start} bytes of an incomplete frame)");
        }
    }
}
