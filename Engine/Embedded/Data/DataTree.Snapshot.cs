using System.Buffers;
using System.Buffers.Binary;

namespace QuorumPortal.Engine.Embedded.Data;

/// <summary>
/// Snapshots: the whole state in a compact big-endian form. Layout: magic "QPDT", a format version
/// byte, the header (last zxid, digest, config version), members, sessions sorted by id, nodes sorted
/// by path (so a parent always precedes its children), then a hash of everything before it.
/// Equal trees serialize to equal bytes.
/// </summary>
internal sealed partial class DataTree
{
    private const byte SnapshotFormat = 1;
    private const int MinNodeSize = 4 + 4 + (8 * 6) + (4 * 3);
    private static readonly byte[] SnapshotMagic = "QPDT"u8.ToArray();

    public byte[] Serialize()
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (int)Math.Min(ApproximateDataSize + (_nodes.Count * 80L), int.MaxValue / 2));

        var headerSize = SnapshotMagic.Length + 1 + 8 + 8 + 8 + 4 + _members.Sum(TxnCodec.MemberSize);
        var w = new SpanWriter(buffer.GetSpan(headerSize));
        foreach (var b in SnapshotMagic)
        {
            w.WriteByte(b);
        }

        w.WriteByte(SnapshotFormat);
        w.WriteInt64(LastProcessedZxid);
        w.WriteUInt64(Digest);
        w.WriteInt64(ConfigVersion);
        w.WriteInt32(_members.Length);
        foreach (var member in _members)
        {
            TxnCodec.WriteMember(ref w, member);
        }

        buffer.Advance(w.Position);

        var sessionIds = _sessions.Keys.ToArray();
        Array.Sort(sessionIds);
        w = new SpanWriter(buffer.GetSpan(4 + (sessionIds.Length * 12)));
        w.WriteInt32(sessionIds.Length);
        foreach (var id in sessionIds)
        {
            w.WriteInt64(id);
            w.WriteInt32(_sessions[id]);
        }

        buffer.Advance(w.Position);

        var paths = _nodes.Keys.ToArray();
        Array.Sort(paths, StringComparer.Ordinal);
        w = new SpanWriter(buffer.GetSpan(4));
        w.WriteInt32(paths.Length);
        buffer.Advance(w.Position);
        foreach (var path in paths)
        {
            var node = _nodes[path];
            w = new SpanWriter(buffer.GetSpan(SpanWriter.StringSize(path) + SpanWriter.BytesSize(node.Data.Span) + (8 * 6) + (4 * 3)));
            w.WriteString(path);
            w.WriteBytes(node.Data.Span);
            w.WriteInt64(node.Czxid);
            w.WriteInt64(node.Mzxid);
            w.WriteInt64(node.Ctime);
            w.WriteInt64(node.Mtime);
            w.WriteInt32(node.Version);
            w.WriteInt32(node.Cversion);
            w.WriteInt32(node.Aversion);
            w.WriteInt64(node.EphemeralOwner);
            w.WriteInt64(node.Pzxid);
            buffer.Advance(w.Position);
        }

        var trailer = buffer.GetSpan(8);
        BinaryPrimitives.WriteUInt64BigEndian(trailer, Hash64.Compute(buffer.WrittenSpan));
        buffer.Advance(8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Rebuilds a tree from <see cref="Serialize"/>'s bytes; anything else throws <see cref="InvalidDataException"/>.</summary>
    public static DataTree Deserialize(ReadOnlySpan<byte> bytes)
    {
        var r = new SpanReader(bytes, "snapshot");
        if (bytes.Length < SnapshotMagic.Length + 1 + 8 || !bytes.StartsWith(SnapshotMagic))
        {
            throw r.Fail("not a data tree snapshot (bad magic or too short)");
        }

        if (bytes[SnapshotMagic.Length] != SnapshotFormat)
        {
            throw r.Fail($"unsupported format version {bytes[SnapshotMagic.Length]}");
        }

        // The checksum catches truncation and bit rot before any field is trusted.
        var body = bytes[..^8];
        if (BinaryPrimitives.ReadUInt64BigEndian(bytes[^8..]) != Hash64.Compute(body))
        {
            throw r.Fail("checksum mismatch (truncated or damaged)");
        }

        r = new SpanReader(body, "snapshot");
        for (var i = 0; i <= SnapshotMagic.Length; i++)
        {
            r.ReadByte("magic");
        }

        var tree = new DataTree
        {
            LastProcessedZxid = r.ReadInt64("last zxid"),
            Digest = r.ReadUInt64("digest"),
            ConfigVersion = r.ReadInt64("config version"),
        };
        tree._members = TxnCodec.ReadMembers(ref r);

        var sessionCount = r.ReadCount("session count", 12);
        for (var i = 0; i < sessionCount; i++)
        {
            var id = r.ReadInt64("session id");
            var timeout = r.ReadInt32("session timeout");
            if (id == 0 || !tree._sessions.TryAdd(id, timeout))
            {
                throw r.Fail($"session 0x{id:x} is zero or repeated");
            }
        }

        var nodeCount = r.ReadCount("node count", MinNodeSize);
        for (var i = 0; i < nodeCount; i++)
        {
            var path = r.ReadString("path");
            var node = new DataNode(r.ReadBytes("data"), 0, 0, 0)
            {
                Czxid = r.ReadInt64("czxid"),
                Mzxid = r.ReadInt64("mzxid"),
                Ctime = r.ReadInt64("ctime"),
                Mtime = r.ReadInt64("mtime"),
                Version = r.ReadInt32("version"),
                Cversion = r.ReadInt32("cversion"),
                Aversion = r.ReadInt32("aversion"),
                EphemeralOwner = r.ReadInt64("ephemeral owner"),
                Pzxid = r.ReadInt64("pzxid"),
            };
            tree.AddSnapshotNode(ref r, path, node, first: i == 0);
        }

        r.EnsureEnd();
        foreach (var reserved in (string[])[ZnodePath.ZooKeeper, ZnodePath.Quota, ZnodePath.Config])
        {
            if (!tree._nodes.ContainsKey(reserved))
            {
                throw r.Fail($"missing {reserved}");
            }
        }

        return tree;
    }

    private void AddSnapshotNode(ref SpanReader r, string path, DataNode node, bool first)
    {
        if (!ZnodePath.IsValid(path) || first != (path == ZnodePath.Root))
        {
            throw r.Fail($"node path '{path}' is invalid or out of order");
        }

        if (_nodes.ContainsKey(path))
        {
            throw r.Fail($"node '{path}' is repeated");
        }

        if (!first && (!_nodes.TryGetValue(ZnodePath.ParentOf(path), out var parent) || parent.EphemeralOwner != 0))
        {
            throw r.Fail($"node '{path}' has no parent before it, or an ephemeral one");
        }

        if (node.EphemeralOwner != 0 && !_sessions.ContainsKey(node.EphemeralOwner))
        {
            throw r.Fail($"ephemeral '{path}' belongs to unknown session 0x{node.EphemeralOwner:x}");
        }

        AddNode(path, node);
    }
}
