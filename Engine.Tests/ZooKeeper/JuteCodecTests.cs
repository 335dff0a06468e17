using System.Buffers;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.ZooKeeper.Jute;

namespace QuorumPortal.Engine.Tests.ZooKeeper;

public sealed class JuteCodecTests
{
    private static readonly NodeStat Stat = new(0x100000001, 0x100000002, 1_700_000_000_000, 1_700_000_000_500, 3, 4, 5, 0x0123456789abcdef, 6, 7, 0x100000003);

    public static TheoryData<IJuteRecord> Records() =>
    [
        new ConnectRequest(0, 0x1_0000_0007, 30000, 0x0102030405060708, [.. Enumerable.Range(0, 16).Select(i => (byte)i)], true),
        new ConnectResponse(0, 4000, 0x72_0000_0000_0001, new byte[16], false),
        new RequestHeader(42, OpCode.GetData),
        new ReplyHeader(-1, -1, 0),
        new StatResponse(Stat),
        new Acl(Perms.Read | Perms.Write, "digest", "alice:RXVI87ZFrbumr+PelxhKqyi30vI="),
        new CreateRequest("/app/x", [1, 2, 3], Acl.OpenUnsafe, 3),
        new CreateRequest("/null-data", null, Acl.CreatorAll, 0),
        new CreateResponse("/app/x0000000001"),
        new Create2Response("/a", Stat),
        new DeleteRequest("/a", 7),
        new ExistsRequest("/a", true),
        new GetDataRequest("/zookeeper/config", true),
        new GetDataResponse("server.1=127.0.0.1:1:2:participant;127.0.0.1:3\nversion=100000000"u8.ToArray(), Stat),
        new GetDataResponse(null, Stat),
        new SetDataRequest("/a", [], -1),
        new GetChildrenRequest("/", false),
        new GetChildrenResponse(["a", "zookeeper", "ünï"]),
        new GetChildren2Response([], Stat),
        new SyncRequest("/"),
        new SyncResponse("/"),
        new CheckVersionRequest("/a", 2),
        new ReconfigRequest("server.4=127.0.0.1:1:2:participant;3", null, null, 0x100000000),
        new ReconfigRequest(null, "2,3", null, -1),
        new AuthPacket(0, "digest", "super:test"u8.ToArray()),
        new WatcherEvent(3, 3, "/a"),
        new SetWatches(0x100000009, ["/d"], ["/e"], ["/c", "/c2"]),
        new ErrorResponse(-101),
        new MultiHeader(1, false, -1),
        new MultiRequest([
            new MultiRequestOp(OpCode.Create, new CreateRequest("/m", [9], Acl.OpenUnsafe, 0)),
            new MultiRequestOp(OpCode.SetData, new SetDataRequest("/m", [8], 0)),
            new MultiRequestOp(OpCode.Check, new CheckVersionRequest("/m", 1)),
            new MultiRequestOp(OpCode.Delete, new DeleteRequest("/m", -1)),
        ]),
        new MultiResponse([
            new MultiResult(OpCode.Create, 0, new CreateResponse("/m")),
            new MultiResult(OpCode.SetData, 0, new StatResponse(Stat)),
            new MultiResult(OpCode.Check, 0, null),
            new MultiResult(OpCode.Delete, 0, null),
        ]),
        new MultiResponse([
            new MultiResult(OpCode.Error, 0, new ErrorResponse(0)),
            new MultiResult(OpCode.Error, -110, new ErrorResponse(-110)),
            new MultiResult(OpCode.Error, -2, new ErrorResponse(-2)),
        ]),
    ];

    [Theory]
    [MemberData(nameof(Records))]
    public void WriteThenRead_EveryRecord_RoundTrips(IJuteRecord record)
    {
        var bytes = Encode(record);
        var decoded = Decode(record.GetType(), bytes, out var consumed);

        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(bytes, Encode(decoded)); // byte-identical re-encoding covers arrays and lists
        Assert.Equal(Describe(record), Describe(decoded));
    }

    [Fact]
    public void Stat_RoundTrip_KeepsEveryField()
    {
        var decoded = (StatResponse)Decode(typeof(StatResponse), Encode(new StatResponse(Stat)), out var consumed);

        Assert.Equal(JuteStat.Size, consumed);
        Assert.Equal(Stat, decoded.Stat);
    }

    [Fact]
    public void ConnectRequest_NewSession_MatchesGoldenBytes()
    {
        // zookeeper-wire.md §1.2: new session, timeout 30000 ms, 16 zero password bytes, readOnly false.
        var frame = FrameBuffer.Build(new ConnectRequest(0, 0, 30000, 0, new byte[16], false));

        Assert.Equal(Golden.ConnectRequest30s, Convert.ToHexStringLower(frame));
    }

    [Fact]
    public void CreateRequest_App_MatchesGoldenBytes()
    {
        // zookeeper-wire.md §4.1: xid 5, create "/app" with "hi", OPEN_ACL_UNSAFE, persistent.
        var frame = FrameBuffer.Build(new RequestHeader(5, OpCode.Create), new CreateRequest("/app", "hi"u8.ToArray(), Acl.OpenUnsafe, 0));

        Assert.Equal(Golden.CreateApp, Convert.ToHexStringLower(frame));
    }

    [Fact]
    public void PingAndAuth_MatchGoldenBytes()
    {
        Assert.Equal("00000008fffffffe0000000b", Convert.ToHexStringLower(FrameBuffer.Build(new RequestHeader(Xids.Ping, OpCode.Ping))));
        Assert.Equal(
            "00000024fffffffc0000006400000000000000066469676573740000000a73757065723a74657374",
            Convert.ToHexStringLower(FrameBuffer.Build(new RequestHeader(Xids.Auth, OpCode.Auth), new AuthPacket(0, "digest", "super:test"u8.ToArray()))));
    }

    [Fact]
    public void ConnectResponse_WithoutReadOnlyByte_Reads()
    {
        var bytes = Encode(new ConnectResponse(0, 4000, 7, new byte[16], false))[..^1];

        var decoded = (ConnectResponse)Decode(typeof(ConnectResponse), bytes, out _);

        Assert.Equal(4000, decoded.TimeOut);
        Assert.False(decoded.IsExpired);
    }

    [Fact]
    public void Reader_NullMarkers_ReadAsNull()
    {
        var reader = new JuteReader(Convert.FromHexString("ffffffffffffffffffffffff"));

        Assert.Null(reader.ReadString());
        Assert.Null(reader.ReadBuffer());
        Assert.Null(reader.ReadStrings());
    }

    [Theory]
    [InlineData("00000005616263", "ustring")] // says 5 bytes, has 3
    [InlineData("0000", "int")]
    [InlineData("fffffffe", "negative")] // length -2
    [InlineData("7fffffff", "vector")] // a 2 GiB vector in a 4-byte frame
    public void Reader_TruncatedOrLyingLength_ThrowsInvalidData(string hex, string expected)
    {
        var bytes = Convert.FromHexString(hex);

        var error = Assert.Throws<InvalidDataException>(() =>
        {
            var reader = new JuteReader(bytes);
            if (expected == "vector")
            {
                reader.ReadStrings();
            }
            else if (expected == "int")
            {
                reader.ReadInt();
            }
            else
            {
                reader.ReadString();
            }
        });
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void EveryRecord_TruncatedAnywhere_ThrowsInvalidDataNeverIndexError()
    {
        foreach (var record in ((IEnumerable<object[]>)Records()).Select(row => (IJuteRecord)row[0]))
        {
            var bytes = Encode(record);
            // ConnectResponse/ConnectRequest treat their last byte as optional, so they may end one byte early.
            var optionalTail = record is ConnectRequest or ConnectResponse ? 1 : 0;
            for (var cut = 0; cut < bytes.Length - optionalTail; cut++)
            {
                var truncated = bytes[..cut];
                Assert.Throws<InvalidDataException>(() => { Decode(record.GetType(), truncated, out _); });
            }
        }
    }

    [Fact]
    public void Multi_UnknownResultType_ThrowsInvalidData()
    {
        var bytes = Encode(new MultiHeader(99, false, 0));

        Assert.Throws<InvalidDataException>(() => { Decode(typeof(MultiResponse), bytes, out _); });
    }

    internal static byte[] Encode(IJuteRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>();
        record.Write(new JuteWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    private static IJuteRecord Decode(Type type, byte[] bytes, out int consumed)
    {
        var reader = new JuteReader(bytes);
        IJuteRecord record = type.Name switch
        {
            nameof(ConnectRequest) => ConnectRequest.Read(ref reader),
            nameof(ConnectResponse) => ConnectResponse.Read(ref reader),
            nameof(RequestHeader) => RequestHeader.Read(ref reader),
            nameof(ReplyHeader) => ReplyHeader.Read(ref reader),
            nameof(StatResponse) => StatResponse.Read(ref reader),
            nameof(Acl) => Acl.Read(ref reader),
            nameof(CreateRequest) => CreateRequest.Read(ref reader),
            nameof(CreateResponse) => CreateResponse.Read(ref reader),
            nameof(Create2Response) => Create2Response.Read(ref reader),
            nameof(DeleteRequest) => DeleteRequest.Read(ref reader),
            nameof(ExistsRequest) => ExistsRequest.Read(ref reader),
            nameof(GetDataRequest) => GetDataRequest.Read(ref reader),
            nameof(GetDataResponse) => GetDataResponse.Read(ref reader),
            nameof(SetDataRequest) => SetDataRequest.Read(ref reader),
            nameof(GetChildrenRequest) => GetChildrenRequest.Read(ref reader),
            nameof(GetChildrenResponse) => GetChildrenResponse.Read(ref reader),
            nameof(GetChildren2Response) => GetChildren2Response.Read(ref reader),
            nameof(SyncRequest) => SyncRequest.Read(ref reader),
            nameof(SyncResponse) => SyncResponse.Read(ref reader),
            nameof(CheckVersionRequest) => CheckVersionRequest.Read(ref reader),
            nameof(ReconfigRequest) => ReconfigRequest.Read(ref reader),
            nameof(AuthPacket) => AuthPacket.Read(ref reader),
            nameof(WatcherEvent) => WatcherEvent.Read(ref reader),
            nameof(SetWatches) => SetWatches.Read(ref reader),
            nameof(ErrorResponse) => ErrorResponse.Read(ref reader),
            nameof(MultiHeader) => MultiHeader.Read(ref reader),
            nameof(MultiRequest) => MultiRequest.Read(ref reader),
            nameof(MultiResponse) => MultiResponse.Read(ref reader),
            _ => throw new InvalidOperationException($"no reader for {type.Name}"),
        };
        consumed = reader.Position;
        return record;
    }

    // Records holding arrays or lists print type names only; re-encoding above covers their content.
    private static string Describe(IJuteRecord record) => record.GetType().Name;
}

/// <summary>Golden frames derived by hand from zookeeper-wire.md; the integration tests send them to a real server.</summary>
internal static class Golden
{
    public const string ConnectRequest30s =
        "0000002d" + "00000000" + "0000000000000000" + "00007530" + "0000000000000000" + "00000010" + "00000000000000000000000000000000" + "00";

    public const string CreateApp =
        "00000035" + "00000005" + "00000001" + "00000004" + "2f617070" + "00000002" + "6869" + "00000001" + "0000001f" +
        "00000005" + "776f726c64" + "00000006" + "616e796f6e65" + "00000000";
}
