using System.Buffers;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded.Data;

/// <summary>
/// The binary form of a <see cref="Txn"/>, as it goes into the log, over the wire and into the digest:
/// a tag byte, the header (zxid, session id, cxid, time), then the op's fields. Big-endian, strings as
/// int32 length + UTF-8, byte arrays as int32 length + bytes.
/// </summary>
internal static class TxnCodec
{
    private const int HeaderSize = 1 + 8 + 8 + 4 + 8;

    private enum Tag : byte
    {
        Create = 1,
        Delete = 2,
        SetData = 3,
        CreateSession = 4,
        CloseSession = 5,
        Reconfig = 6,
    }

    /// <summary>Exactly how many bytes <see cref="Encode(Txn)"/> produces.</summary>
    public static int GetEncodedLength(Txn txn) => HeaderSize + txn.Op switch
    {
        CreateOp op => SpanWriter.StringSize(op.Path) + SpanWriter.BytesSize(op.Data.Span) + 1,
        DeleteOp op => SpanWriter.StringSize(op.Path) + 4,
        SetDataOp op => SpanWriter.StringSize(op.Path) + SpanWriter.BytesSize(op.Data.Span) + 4,
        CreateSessionOp => 4,
        CloseSessionOp => 0,
        ReconfigOp op => 4 + op.Members.Sum(MemberSize),
        var other => throw Unknown(other),
    };

    public static byte[] Encode(Txn txn)
    {
        var bytes = new byte[GetEncodedLength(txn)];
        Encode(txn, bytes);
        return bytes;
    }

    /// <summary>Encodes into <paramref name="writer"/> without an intermediate array; returns the bytes written.</summary>
    public static int Encode(Txn txn, IBufferWriter<byte> writer)
    {
        var length = GetEncodedLength(txn);
        Encode(txn, writer.GetSpan(length));
        writer.Advance(length);
        return length;
    }

    /// <summary>Encodes into <paramref name="destination"/>, which must hold <see cref="GetEncodedLength"/> bytes; returns the bytes written.</summary>
    public static int Encode(Txn txn, Span<byte> destination)
    {
        var length = GetEncodedLength(txn);
        if (destination.Length < length)
        {
            throw new ArgumentException($"Needs {length} bytes, got {destination.Length}.", nameof(destination));
        }

        var w = new SpanWriter(destination);
        w.WriteByte((byte)TagOf(txn.Op));
        w.WriteInt64(txn.Zxid);
        w.WriteInt64(txn.SessionId);
        w.WriteInt32(txn.Cxid);
        w.WriteInt64(txn.Time);
        switch (txn.Op)
        {
            case CreateOp op:
                w.WriteString(op.Path);
                w.WriteBytes(op.Data.Span);
                w.WriteByte((byte)op.Mode);
                break;
            case DeleteOp op:
                w.WriteString(op.Path);
                w.WriteInt32(op.Version);
                break;
            case SetDataOp op:
                w.WriteString(op.Path);
                w.WriteBytes(op.Data.Span);
                w.WriteInt32(op.Version);
                break;
            case CreateSessionOp op:
                w.WriteInt32(op.TimeoutMs);
                break;
            case CloseSessionOp:
                break;
            case ReconfigOp op:
                w.WriteInt32(op.Members.Count);
                foreach (var member in op.Members)
                {
                    WriteMember(ref w, member);
                }

                break;
        }

        return w.Position;
    }

    /// <summary>
    /// <paramref name="txn"/> with its op's data pointing into <paramref name="encoded"/>, its encoded form, instead of
    /// a separate array (the same object if the op carries no data). The payload then lives once, in the record.
    /// </summary>
    public static Txn ShareData(Txn txn, byte[] encoded)
    {
        // The data follows the header and the path: see Encode.
        var offset = HeaderSize + 4;
        return txn.Op switch
        {
            CreateOp op => txn with { Op = op with { Data = encoded.AsMemory(offset + SpanWriter.StringSize(op.Path), op.Data.Length) } },
            SetDataOp op => txn with { Op = op with { Data = encoded.AsMemory(offset + SpanWriter.StringSize(op.Path), op.Data.Length) } },
            _ => txn,
        };
    }

    /// <summary>
    /// Decodes one txn that fills <paramref name="record"/> exactly; corrupt input throws <see cref="InvalidDataException"/>.
    /// The op's data is a slice of the record (see <see cref="ShareData"/>), so the record must not change afterwards.
    /// </summary>
    public static Txn Decode(byte[] record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var r = new SpanReader(record, "txn");
        var tag = (Tag)r.ReadByte("tag");
        var zxid = r.ReadInt64("zxid");
        var sessionId = r.ReadInt64("session id");
        var cxid = r.ReadInt32("cxid");
        var time = r.ReadInt64("time");
        TxnOp op = tag switch
        {
            Tag.Create => new CreateOp(r.ReadString("path"), ReadData(ref r, record), ReadMode(ref r)),
            Tag.Delete => new DeleteOp(r.ReadString("path"), r.ReadInt32("version")),
            Tag.SetData => new SetDataOp(r.ReadString("path"), ReadData(ref r, record), r.ReadInt32("version")),
            Tag.CreateSession => new CreateSessionOp(r.ReadInt32("timeout")),
            Tag.CloseSession => new CloseSessionOp(),
            Tag.Reconfig => new ReconfigOp(ReadMembers(ref r)),
            _ => throw r.Fail($"unknown op tag {(byte)tag}"),
        };
        r.EnsureEnd();
        return new Txn(zxid, sessionId, cxid, time, op);
    }

    internal static int MemberSize(MemberSpec member) => 4 + 1 + SpanWriter.StringSize(member.Host) + 4 + 4 + 4;

    internal static void WriteMember(ref SpanWriter w, MemberSpec member)
    {
        w.WriteInt32(member.ServerId);
        w.WriteByte((byte)member.Role);
        w.WriteString(member.Host);
        w.WriteInt32(member.QuorumPort);
        w.WriteInt32(member.ElectionPort);
        w.WriteInt32(member.ClientPort);
    }

    internal static MemberSpec[] ReadMembers(ref SpanReader r)
    {
        var members = new MemberSpec[r.ReadCount("member count", MemberSize(new MemberSpec { ServerId = 0, Host = string.Empty }))];
        for (var i = 0; i < members.Length; i++)
        {
            var serverId = r.ReadInt32("server id");
            var role = r.ReadByte("role");
            if (role > (byte)MemberRole.Observer)
            {
                throw r.Fail($"unknown member role {role}");
            }

            members[i] = new MemberSpec
            {
                ServerId = serverId,
                Role = (MemberRole)role,
                Host = r.ReadString("host"),
                QuorumPort = r.ReadInt32("quorum port"),
                ElectionPort = r.ReadInt32("election port"),
                ClientPort = r.ReadInt32("client port"),
            };
        }

        return members;
    }

    private static ReadOnlyMemory<byte> ReadData(ref SpanReader r, byte[] record) => record.AsMemory(r.ReadBytesRange("data"));

    private static CreateMode ReadMode(ref SpanReader r)
    {
        var mode = r.ReadByte("create mode");
        return mode <= (byte)CreateMode.EphemeralSequential ? (CreateMode)mode : throw r.Fail($"unknown create mode {mode}");
    }

    private static Tag TagOf(TxnOp op) => op switch
    {
        CreateOp => Tag.Create,
        DeleteOp => Tag.Delete,
        SetDataOp => Tag.SetData,
        CreateSessionOp => Tag.CreateSession,
        CloseSessionOp => Tag.CloseSession,
        ReconfigOp => Tag.Reconfig,
        _ => throw Unknown(op),
    };

    private static ArgumentException Unknown(TxnOp op) => new($"Unknown txn op {op.GetType().Name}.", nameof(op));
}
