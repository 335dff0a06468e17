namespace QuorumPortal.Engine.Ensembles;

/// <summary>A ZooKeeper transaction id: epoch in the high 32 bits, counter in the low 32.</summary>
public static class Zxid
{
    public static long Make(long epoch, long counter) => (epoch << 32) | (counter & 0xFFFF_FFFFL);

    public static long EpochOf(long zxid) => zxid >>> 32;

    public static long CounterOf(long zxid) => zxid & 0xFFFF_FFFFL;

    /// <summary>Hex as ZooKeeper prints it, e.g. <c>0x100000003</c>.</summary>
    public static string ToHex(long zxid) => "0x" + zxid.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Epoch and counter, e.g. <c>1/3</c>.</summary>
    public static string ToEpochCounter(long zxid) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{EpochOf(zxid)}/{CounterOf(zxid)}");
}
