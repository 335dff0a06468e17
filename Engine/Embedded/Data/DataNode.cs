using QuorumPortal.Engine.Backends;

namespace QuorumPortal.Engine.Embedded.Data;

/// <summary>
/// One znode inside a <see cref="DataTree"/>: mutable so a SetData changes a few fields in place. The
/// <see cref="Data"/> is owned by the tree (usually a slice of an applied txn's record) and never handed out.
/// </summary>
internal sealed class DataNode
{
    public DataNode(ReadOnlyMemory<byte> data, long zxid, long time, long ephemeralOwner)
    {
        Data = data;
        Czxid = Mzxid = Pzxid = zxid;
        Ctime = Mtime = time;
        EphemeralOwner = ephemeralOwner;
    }

    public ReadOnlyMemory<byte> Data { get; set; }

    public long Czxid { get; set; }

    public long Mzxid { get; set; }

    public long Ctime { get; set; }

    public long Mtime { get; set; }

    public int Version { get; set; }

    public int Cversion { get; set; }

    public int Aversion { get; set; }

    public long EphemeralOwner { get; set; }

    public long Pzxid { get; set; }

    /// <summary>Child names; unordered because creates and deletes are hot, sorted when someone reads them.</summary>
    public HashSet<string> Children { get; } = new(StringComparer.Ordinal);

    public NodeStat ToStat() =>
        new(Czxid, Mzxid, Ctime, Mtime, Version, Cversion, Aversion, EphemeralOwner, Data.Length, Children.Count, Pzxid);
}
