using QuorumPortal.Engine.Backends;

namespace QuorumPortal.Engine.ZooKeeper.Jute;

// Layouts follow zookeeper.jute (3.8); see /work/shared/zookeeper-wire.md §1-§5.

/// <summary>The handshake request. <see cref="ReadOnly"/> is appended after the jute record, as the Java client does.</summary>
public sealed record ConnectRequest(int ProtocolVersion, long LastZxidSeen, int TimeOut, long SessionId, byte[] Passwd, bool ReadOnly)
    : IJuteRecord<ConnectRequest>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteInt(ProtocolVersion);
        writer.WriteLong(LastZxidSeen);
        writer.WriteInt(TimeOut);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Passwd);
        writer.WriteBool(ReadOnly);
    }

    public static ConnectRequest Read(ref JuteReader reader) => new(
        reader.ReadInt(), reader.ReadLong(), reader.ReadInt(), reader.ReadLong(), reader.ReadBuffer() ?? [],
        reader.Remaining > 0 && reader.ReadBool());
}

/// <summary>The handshake reply; a timeout ≤ 0 or session id 0 means the session is expired.</summary>
public sealed record ConnectResponse(int ProtocolVersion, int TimeOut, long SessionId, byte[] Passwd, bool ReadOnly)
    : IJuteRecord<ConnectResponse>
{
    public bool IsExpired => TimeOut <= 0 || SessionId == 0;

    public void Write(JuteWriter writer)
    {
        writer.WriteInt(ProtocolVersion);
        writer.WriteInt(TimeOut);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Passwd);
        writer.WriteBool(ReadOnly);
    }

    // The readOnly byte is there only when the client sent one; older servers omit it.
    public static ConnectResponse Read(ref JuteReader reader) => new(
        reader.ReadInt(), reader.ReadInt(), reader.ReadLong(), reader.ReadBuffer() ?? [],
        reader.Remaining > 0 && reader.ReadBool());
}

public sealed record RequestHeader(int Xid, OpCode Type) : IJuteRecord<RequestHeader>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteInt(Xid);
        writer.WriteInt((int)Type);
    }

    public static RequestHeader Read(ref JuteReader reader) => new(reader.ReadInt(), (OpCode)reader.ReadInt());
}

public readonly record struct ReplyHeader(int Xid, long Zxid, int Err) : IJuteRecord<ReplyHeader>
{
    public const int Size = 16;

    public void Write(JuteWriter writer)
    {
        writer.WriteInt(Xid);
        writer.WriteLong(Zxid);
        writer.WriteInt(Err);
    }

    public static ReplyHeader Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadLong(), reader.ReadInt());
}

/// <summary>Reads and writes <see cref="NodeStat"/>, jute's 68-byte <c>Stat</c>.</summary>
public static class JuteStat
{
    public const int Size = 68;

    public static void Write(JuteWriter writer, NodeStat stat)
    {
        writer.WriteLong(stat.Czxid);
        writer.WriteLong(stat.Mzxid);
        writer.WriteLong(stat.Ctime);
        writer.WriteLong(stat.Mtime);
        writer.WriteInt(stat.Version);
        writer.WriteInt(stat.Cversion);
        writer.WriteInt(stat.Aversion);
        writer.WriteLong(stat.EphemeralOwner);
        writer.WriteInt(stat.DataLength);
        writer.WriteInt(stat.NumChildren);
        writer.WriteLong(stat.Pzxid);
    }

    public static NodeStat Read(ref JuteReader reader) => new(
        reader.ReadLong(), reader.ReadLong(), reader.ReadLong(), reader.ReadLong(),
        reader.ReadInt(), reader.ReadInt(), reader.ReadInt(),
        reader.ReadLong(), reader.ReadInt(), reader.ReadInt(), reader.ReadLong());
}

/// <summary>An access control entry: permissions for an id of a scheme.</summary>
public sealed record Acl(Perms Perms, string Scheme, string Id) : IJuteRecord<Acl>
{
    /// <summary>ZooKeeper's <c>OPEN_ACL_UNSAFE</c>: everything for <c>world:anyone</c>.</summary>
    public static IReadOnlyList<Acl> OpenUnsafe { get; } = [new(Perms.All, "world", "anyone")];

    /// <summary>ZooKeeper's <c>CREATOR_ALL_ACL</c>: everything for the creator's authenticated ids.</summary>
    public static IReadOnlyList<Acl> CreatorAll { get; } = [new(Perms.All, "auth", string.Empty)];

    /// <summary>ZooKeeper's <c>READ_ACL_UNSAFE</c>.</summary>
    public static IReadOnlyList<Acl> ReadUnsafe { get; } = [new(Perms.Read, "world", "anyone")];

    public void Write(JuteWriter writer)
    {
        writer.WriteInt((int)Perms);
        writer.WriteString(Scheme);
        writer.WriteString(Id);
    }

    public static Acl Read(ref JuteReader reader) =>
        new((Perms)reader.ReadInt(), reader.ReadString() ?? string.Empty, reader.ReadString() ?? string.Empty);
}

public sealed record CreateRequest(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, int Flags) : IJuteRecord<CreateRequest>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteVector(Acl, static (w, a) => a.Write(w));
        writer.WriteInt(Flags);
    }

    public static CreateRequest Read(ref JuteReader reader) => new(
        reader.ReadString() ?? string.Empty, reader.ReadBuffer(),
        reader.ReadVector(static (ref JuteReader r) => Jute.Acl.Read(ref r)) ?? [], reader.ReadInt());
}

public sealed record CreateResponse(string Path) : IJuteRecord<CreateResponse>
{
    public void Write(JuteWriter writer) => writer.WriteString(Path);

    public static CreateResponse Read(ref JuteReader reader) => new(reader.ReadString() ?? string.Empty);
}

public sealed record Create2Response(string Path, NodeStat Stat) : IJuteRecord<Create2Response>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        JuteStat.Write(writer, Stat);
    }

    public static Create2Response Read(ref JuteReader reader) => new(reader.ReadString() ?? string.Empty, JuteStat.Read(ref reader));
}

public sealed record DeleteRequest(string Path, int Version) : IJuteRecord<DeleteRequest>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Version);
    }

    public static DeleteRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? string.Empty, reader.ReadInt());
}

/// <summary>Also the body of exists (3), getChildren (8) and getChildren2 (12): the same two fields.</summary>
public sealed record GetDataRequest(string Path, bool Watch) : IJuteRecord<GetDataRequest>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }

    public static GetDataRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? string.Empty, reader.ReadBool());
}

public sealed record ExistsRequest(string Path, bool Watch) : IJuteRecord<ExistsRequest>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }

    public static ExistsRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? string.Empty, reader.ReadBool());
}

public sealed record GetChildrenRequest(string Path, bool Watch) : IJuteRecord<GetChildrenRequest>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }

    public static GetChildrenRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? string.Empty, reader.ReadBool());
}

/// <summary>The body of exists and setData replies: just the stat.</summary>
public sealed record StatResponse(NodeStat Stat) : IJuteRecord<StatResponse>
{
    public void Write(JuteWriter writer) => JuteStat.Write(writer, Stat);

    public static StatResponse Read(ref JuteReader reader) => new(JuteStat.Read(ref reader));
}

/// <summary>Data may be null on the wire (a node created with no data); it is kept as null here.</summary>
public sealed record GetDataResponse(byte[]? Data, NodeStat Stat) : IJuteRecord<GetDataResponse>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteBuffer(Data);
        JuteStat.Write(writer, Stat);
    }

    public static GetDataResponse Read(ref JuteReader reader) => new(reader.ReadBuffer(), JuteStat.Read(ref reader));
}

public sealed record SetDataRequest(string Path, byte[]? Data, int Version) : IJuteRecord<SetDataRequest>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteInt(Version);
    }

    public static SetDataRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? string.Empty, reader.ReadBuffer(), reader.ReadInt());
}

public sealed record GetChildrenResponse(IReadOnlyList<string> Children) : IJuteRecord<GetChildrenResponse>
{
    public void Write(JuteWriter writer) => writer.WriteStrings(Children);

    public static GetChildrenResponse Read(ref JuteReader reader) => new(reader.ReadStrings() ?? []);
}

public sealed record GetChildren2Response(IReadOnlyList<string> Children, NodeStat Stat) : IJuteRecord<GetChildren2Response>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteStrings(Children);
        JuteStat.Write(writer, Stat);
    }

    public static GetChildren2Response Read(ref JuteReader reader) => new(reader.ReadStrings() ?? [], JuteStat.Read(ref reader));
}

/// <summary>Both the sync request and its reply carry only the path.</summary>
public sealed record SyncRequest(string Path) : IJuteRecord<SyncRequest>
{
    public void Write(JuteWriter writer) => writer.WriteString(Path);

    public static SyncRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? string.Empty);
}

public sealed record SyncResponse(string Path) : IJuteRecord<SyncResponse>
{
    public void Write(JuteWriter writer) => writer.WriteString(Path);

    public static SyncResponse Read(ref JuteReader reader) => new(reader.ReadString() ?? string.Empty);
}

/// <summary>A version check; valid only inside multi in 3.8.</summary>
public sealed record CheckVersionRequest(string Path, int Version) : IJuteRecord<CheckVersionRequest>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Version);
    }

    public static CheckVersionRequest Read(ref JuteReader reader) => new(reader.ReadString() ?? string.Empty, reader.ReadInt());
}

/// <summary>Unused strings must be null (length -1), not empty: the server parses empty ones.</summary>
public sealed record ReconfigRequest(string? JoiningServers, string? LeavingServers, string? NewMembers, long CurConfigId)
    : IJuteRecord<ReconfigRequest>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteString(JoiningServers);
        writer.WriteString(LeavingServers);
        writer.WriteString(NewMembers);
        writer.WriteLong(CurConfigId);
    }

    public static ReconfigRequest Read(ref JuteReader reader) =>
        new(reader.ReadString(), reader.ReadString(), reader.ReadString(), reader.ReadLong());
}

/// <summary>Sent with xid -4; type is always 0.</summary>
public sealed record AuthPacket(int Type, string Scheme, byte[] Auth) : IJuteRecord<AuthPacket>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteInt(Type);
        writer.WriteString(Scheme);
        writer.WriteBuffer(Auth);
    }

    public static AuthPacket Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadString() ?? string.Empty, reader.ReadBuffer() ?? []);
}

/// <summary>A notification's body (xid -1).</summary>
public sealed record WatcherEvent(int Type, int State, string Path) : IJuteRecord<WatcherEvent>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteInt(Type);
        writer.WriteInt(State);
        writer.WriteString(Path);
    }

    public static WatcherEvent Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadInt(), reader.ReadString() ?? string.Empty);
}

/// <summary>Re-arms watches after a reconnect; the server fires at once what changed after <see cref="RelativeZxid"/>.</summary>
public sealed record SetWatches(long RelativeZxid, IReadOnlyList<string> DataWatches, IReadOnlyList<string> ExistWatches, IReadOnlyList<string> ChildWatches)
    : IJuteRecord<SetWatches>
{
    public void Write(JuteWriter writer)
    {
        writer.WriteLong(RelativeZxid);
        writer.WriteStrings(DataWatches);
        writer.WriteStrings(ExistWatches);
        writer.WriteStrings(ChildWatches);
    }

    public static SetWatches Read(ref JuteReader reader) =>
        new(reader.ReadLong(), reader.ReadStrings() ?? [], reader.ReadStrings() ?? [], reader.ReadStrings() ?? []);
}

public sealed record ErrorResponse(int Err) : IJuteRecord<ErrorResponse>
{
    public void Write(JuteWriter writer) => writer.WriteInt(Err);

    public static ErrorResponse Read(ref JuteReader reader) => new(reader.ReadInt());
}
