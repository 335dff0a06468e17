using System.Buffers.Binary;
using System.Numerics;

namespace QuorumPortal.Engine.Embedded.Data;

/// <summary>
/// A 64-bit hash that is the same in every process and on every platform (never
/// <see cref="string.GetHashCode()"/>), used for the tree digest and snapshot checksums. It reads
/// 8 bytes per round in xxHash64's style, so hashing a 1 KiB txn costs ~130 rounds; it is not
/// xxHash64-compatible and does not need to be: it only has to be stable and spread differences.
/// </summary>
internal static class Hash64
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong Prime3 = 0x165667B19E3779F9UL;
    private const ulong Prime4 = 0x85EBCA77C2B2AE63UL;

    public static ulong Compute(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        var hash = seed + Prime3 + (ulong)data.Length;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            hash = Round(hash, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        }

        for (; i < data.Length; i++)
        {
            hash ^= data[i] * Prime3;
            hash = BitOperations.RotateLeft(hash, 11) * Prime1;
        }

        return Avalanche(hash);
    }

    /// <summary>Chains a transaction into a digest: any change to the previous digest, the zxid or the txn changes the result.</summary>
    public static ulong Mix(ulong previous, long zxid, ulong txnHash)
    {
        var hash = previous + Prime4;
        hash = Round(hash, (ulong)zxid);
        hash = Round(hash, txnHash);
        return Avalanche(hash);
    }

    private static ulong Round(ulong hash, ulong word)
    {
        hash ^= BitOperations.RotateLeft(word * Prime2, 31) * Prime1;
        return BitOperations.RotateLeft(hash, 27) * Prime1 + Prime4;
    }

    private static ulong Avalanche(ulong hash)
    {
        hash ^= hash >> 33;
        hash *= Prime2;
        hash ^= hash >> 29;
        hash *= Prime3;
        hash ^= hash >> 32;
        return hash;
    }
}
