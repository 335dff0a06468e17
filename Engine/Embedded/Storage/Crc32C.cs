using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace QuorumPortal.Engine.Embedded.Storage;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of log records and snapshots. Uses the CPU's CRC instruction where
/// there is one (SSE4.2, ARMv8) and a table otherwise; System.IO.Hashing is not a dependency we take.
/// </summary>
internal static class Crc32C
{
    // Reflected form of the Castagnoli polynomial 0x1EDC6F41.
    private const uint Polynomial = 0x82F63B78;

    private static readonly uint[] Table = CreateTable();

    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(uint.MaxValue, data);

    /// <summary>Continues <paramref name="crc"/> (a value <see cref="Compute"/> returned) over more data.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~Update(~crc, data);

    private static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            ulong wide = state;
            while (data.Length >= sizeof(ulong))
            {
                wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[sizeof(ulong)..];
            }

            state = (uint)wide;
            foreach (byte b in data)
            {
                state = Sse42.Crc32(state, b);
            }

            return state;
        }

        if (Crc32.Arm64.IsSupported)
        {
            while (data.Length >= sizeof(ulong))
            {
                state = Crc32.Arm64.ComputeCrc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[sizeof(ulong)..];
            }

            foreach (byte b in data)
            {
                state = Crc32.ComputeCrc32C(state, b);
            }

            return state;
        }

        return UpdateSoftware(state, data);
    }

    /// <summary>The table-driven path; internal so tests can check it agrees with the hardware path.</summary>
    internal static uint ComputeSoftware(ReadOnlySpan<byte> data) => ~UpdateSoftware(uint.MaxValue, data);

    private static uint UpdateSoftware(uint state, ReadOnlySpan<byte> data)
    {
        uint[] table = Table;
        foreach (byte b in data)
        {
            state = table[(byte)(state ^ b)] ^ (state >> 8);
        }

        return state;
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < table.Length; i++)
        {
            uint value = i;
            for (int bit = 0; bit < 8; bit++)
            {
                value = (value & 1) != 0 ? (value >> 1) ^ Polynomial : value >> 1;
            }

            table[i] = value;
        }

        return table;
    }
}
