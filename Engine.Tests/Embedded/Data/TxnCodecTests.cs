using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Tests.Embedded.Data;

public sealed class TxnCodecTests
{
    public static TheoryData<string> OpNames => ["create", "create-empty", "delete", "set", "session", "close", "reconfig", "reconfig-empty"];

    [Theory]
    [MemberData(nameof(OpNames))]
    public void Decode_EncodedTxn_RoundTrips(string name)
    {
        var txn = new Txn(Zxid.Make(3, 17), 0x0102_0304_0506_0708, 42, 1_700_000_000_123, Sample(name));

        var decoded = TxnCodec.Decode(TxnCodec.Encode(txn));

        AssertEqual(txn, decoded);
    }

    [Theory]
    [InlineData("create")]
    [InlineData("set")]
    public void Decode_Record_DataIsASliceOfTheRecord(string name)
    {
        var record = TxnCodec.Encode(new Txn(5, 6, 7, 8, Sample(name)));

        var decoded = TxnCodec.Decode(record);

        AssertSharesRecord(record, decoded);
        Assert.Equal(record, TxnCodec.Encode(decoded));
    }

    [Theory]
    [MemberData(nameof(OpNames))]
    public void ShareData_EncodedTxn_SameTxnDataInTheRecord(string name)
    {
        var txn = new Txn(Zxid.Make(2, 9), 11, 12, 13, Sample(name));
        var record = TxnCodec.Encode(txn);

        var shared = TxnCodec.ShareData(txn, record);

        AssertEqual(txn, shared);
        Assert.Equal(record, TxnCodec.Encode(shared));
        if (shared.Op is CreateOp or SetDataOp)
        {
            AssertSharesRecord(record, shared);
        }
        else
        {
            Assert.Same(txn, shared);
        }
    }

    [Fact]
    public void Encode_BufferWriter_SameBytesAsArray()
    {
        var txn = new Txn(1, 2, 3, 4, Sample("create"));
        var writer = new System.Buffers.ArrayBufferWriter<byte>();

        var written = TxnCodec.Encode(txn, writer);

        Assert.Equal(TxnCodec.GetEncodedLength(txn), written);
        Assert.Equal(TxnCodec.Encode(txn), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Encode_SpanTooSmall_Throws()
    {
        var txn = new Txn(1, 2, 3, 4, Sample("set"));

        Assert.Throws<ArgumentException>(() => TxnCodec.Encode(txn, new byte[TxnCodec.GetEncodedLength(txn) - 1].AsSpan()));
    }

    [Theory]
    [MemberData(nameof(OpNames))]
    public void Decode_EveryTruncation_InvalidData(string name)
    {
        var bytes = TxnCodec.Encode(new Txn(1, 2, 3, 4, Sample(name)));

        for (var length = 0; length < bytes.Length; length++)
        {
            var ex = Assert.Throws<InvalidDataException>(() => TxnCodec.Decode(bytes[..length]));
            Assert.Contains("txn", ex.Message);
        }
    }

    [Fact]
    public void Decode_TrailingBytes_InvalidData()
    {
        byte[] bytes = [.. TxnCodec.Encode(new Txn(1, 2, 3, 4, new CloseSessionOp())), 0];

        Assert.Throws<InvalidDataException>(() => TxnCodec.Decode(bytes));
    }

    [Fact]
    public void Decode_UnknownTagModeOrRole_InvalidData()
    {
        var create = TxnCodec.Encode(new Txn(1, 2, 3, 4, new CreateOp("/a", [], CreateMode.Persistent)));
        var badTag = (byte[])create.Clone();
        badTag[0] = 99;
        var badMode = (byte[])create.Clone();
        badMode[^1] = 4;
        var reconfig = TxnCodec.Encode(new Txn(1, 2, 3, 4, Sample("reconfig")));
        var badRole = (byte[])reconfig.Clone();
        badRole[29 + 4 + 4] = 2; // header, member count, server id, then role

        Assert.Contains("tag", Assert.Throws<InvalidDataException>(() => TxnCodec.Decode(badTag)).Message);
        Assert.Contains("mode", Assert.Throws<InvalidDataException>(() => TxnCodec.Decode(badMode)).Message);
        Assert.Contains("role", Assert.Throws<InvalidDataException>(() => TxnCodec.Decode(badRole)).Message);
    }

    [Fact]
    public void Decode_HugeOrNegativeLength_InvalidData()
    {
        var bytes = TxnCodec.Encode(new Txn(1, 2, 3, 4, new DeleteOp("/a", -1)));
        var huge = (byte[])bytes.Clone();
        huge[29] = 0x7F; // path length
        var negative = (byte[])bytes.Clone();
        negative[29] = 0xFF;

        Assert.Throws<InvalidDataException>(() => TxnCodec.Decode(huge));
        Assert.Throws<InvalidDataException>(() => TxnCodec.Decode(negative));
    }

    [Fact]
    public void Decode_InvalidUtf8Path_InvalidData()
    {
        var bytes = TxnCodec.Encode(new Txn(1, 2, 3, 4, new DeleteOp("/ab", -1)));
        bytes[29 + 4 + 1] = 0xC3; // a lead byte followed by 'b' is not UTF-8

        Assert.Contains("UTF-8", Assert.Throws<InvalidDataException>(() => TxnCodec.Decode(bytes)).Message);
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void Decode_RandomGarbage_InvalidDataOrATxn(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 2000; i++)
        {
            var garbage = new byte[random.Next(1, 80)];
            random.NextBytes(garbage);
            garbage[0] = (byte)random.Next(0, 8);

            // Garbage may by chance be a well-formed txn; anything else must be InvalidDataException.
            try
            {
                TxnCodec.Decode(garbage);
            }
            catch (InvalidDataException)
            {
            }
        }
    }

    [Fact]
    public void Encode_SameTxn_SameBytes()
    {
        Assert.Equal(TxnCodec.Encode(new Txn(1, 2, 3, 4, Sample("reconfig"))), TxnCodec.Encode(new Txn(1, 2, 3, 4, Sample("reconfig"))));
    }

    private static TxnOp Sample(string name) => name switch
    {
        "create" => new CreateOp("/app/lock-é", [1, 2, 3, 255], CreateMode.EphemeralSequential),
        "create-empty" => new CreateOp("/a", [], CreateMode.Persistent),
        "delete" => new DeleteOp("/app/x", -1),
        "set" => new SetDataOp("/app", new byte[1024], 7),
        "session" => new CreateSessionOp(30_000),
        "close" => new CloseSessionOp(),
        "reconfig" => new ReconfigOp(
        [
            new MemberSpec { ServerId = 1, Host = "10.0.0.1", QuorumPort = 2888, ElectionPort = 3888, ClientPort = 2181 },
            new MemberSpec { ServerId = 200, Role = MemberRole.Observer, Host = "host-b", QuorumPort = 1, ElectionPort = 2, ClientPort = 3 },
        ]),
        "reconfig-empty" => new ReconfigOp([]),
        _ => throw new ArgumentException(name),
    };

    private static void AssertSharesRecord(byte[] record, Txn txn)
    {
        var data = txn.Op switch { CreateOp c => c.Data, SetDataOp s => s.Data, _ => throw new ArgumentException("no data", nameof(txn)) };
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment));
        Assert.Same(record, segment.Array);
    }

    // Records compare arrays and lists by reference, so compare ops field by field.
    private static void AssertEqual(Txn expected, Txn actual)
    {
        Assert.Equal(expected with { Op = new CloseSessionOp() }, actual with { Op = new CloseSessionOp() });
        switch (expected.Op)
        {
            case CreateOp e:
                var c = Assert.IsType<CreateOp>(actual.Op);
                Assert.Equal((e.Path, e.Mode), (c.Path, c.Mode));
                Assert.Equal(e.Data.ToArray(), c.Data.ToArray());
                break;
            case SetDataOp e:
                var s = Assert.IsType<SetDataOp>(actual.Op);
                Assert.Equal((e.Path, e.Version), (s.Path, s.Version));
                Assert.Equal(e.Data.ToArray(), s.Data.ToArray());
                break;
            case ReconfigOp e:
                Assert.Equal(e.Members, Assert.IsType<ReconfigOp>(actual.Op).Members);
                break;
            default:
                Assert.Equal(expected.Op, actual.Op);
                break;
        }
    }
}
