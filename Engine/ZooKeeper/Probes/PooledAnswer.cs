using System.Buffers;
using System.Text;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>
/// An answer's bytes in a buffer rented from <see cref="ArrayPool{T}.Shared"/>; dispose returns it. The probe decodes
/// every answer of a round once, into the status's <c>Raw</c> text, and parses from that.
/// </summary>
internal sealed class PooledAnswer : IDisposable
{
    // A real 3.8 mntr is ~17 KB and the AdminServer's monitor ~21 KB; anything far larger is not ZooKeeper.
    public const int MaxBytes = 4 * 1024 * 1024;

    private const int InitialBytes = 32 * 1024;

    private byte[]? _buffer;

    public PooledAnswer(int sizeHint = InitialBytes)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Clamp(sizeHint, 256, MaxBytes));
    }

    public int Length { get; private set; }

    /// <summary>The asking end of a four-letter word's connection, when the caller wanted it (to find itself in <c>cons</c>).</summary>
    public System.Net.IPEndPoint? LocalEndPoint { get; set; }

    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledAnswer));

    /// <summary>Free space after the bytes received so far, grown (up to <see cref="MaxBytes"/>) when full; empty at the limit.</summary>
    public Memory<byte> FreeSpace()
    {
        var buffer = Buffer;
        if (Length == buffer.Length && buffer.Length < MaxBytes)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxBytes));
            buffer.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            _buffer = buffer = larger;
        }

        return buffer.AsMemory(Length);
    }

    public void Advance(int count) => Length += count;

    /// <summary>The number of UTF-16 chars <see cref="DecodeInto"/> writes.</summary>
    public int CharCount => Encoding.UTF8.GetCharCount(Span);

    public int DecodeInto(Span<char> destination) => Encoding.UTF8.GetChars(Span, destination);

    public override string ToString() => Encoding.UTF8.GetString(Span);

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
