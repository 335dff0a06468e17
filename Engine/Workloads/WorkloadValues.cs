using System.Buffers.Binary;
using QuorumPortal.Engine.Embedded.Data;

namespace QuorumPortal.Engine.Workloads;

/// <summary>
/// The values a workload writes: the run's nonce and the write's sequence number first (so every value of a run
/// differs once it has 16 bytes), then filler. Their hash is what <see cref="IWriteRecorder"/> is given.
/// </summary>
public static class WorkloadValues
{
    private static readonly byte[] Filler = "quorum-portal workload "u8.ToArray();

    /// <summary>A stable 64-bit hash of <paramref name="value"/>, the same in every process.</summary>
    public static ulong Hash(ReadOnlySpan<byte> value) => Hash64.Compute(value);

    /// <summary>Fills <paramref name="destination"/> with the value of write <paramref name="sequence"/> of run <paramref name="nonce"/>.</summary>
    public static void Write(Span<byte> destination, long nonce, long sequence)
    {
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(header, nonce);
        BinaryPrimitives.WriteInt64BigEndian(header[8..], sequence);
        var head = Math.Min(header.Length, destination.Length);
        header[..head].CopyTo(destination);
        for (var i = head; i < destination.Length; i += Filler.Length)
        {
            Filler.AsSpan(0, Math.Min(Filler.Length, destination.Length - i)).CopyTo(destination[i..]);
        }
    }
}
