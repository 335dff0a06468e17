using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Tests.Embedded.Data;

/// <summary>Replicas fed the same history agree on everything; a different history shows in the digest.</summary>
public sealed class DataTreeReplicationTests
{
    private static readonly MemberSpec[] Members =
        [new() { ServerId = 1, QuorumPort = 2001, ElectionPort = 3001, ClientPort = 4001 }];

    [Theory]
    [InlineData(1)]
    [InlineData(20240611)]
    [InlineData(777)]
    public void Apply_SameRandomSequence_SameDigestAndBytes(int seed)
    {
        var leader = new DataTree(Members);
        var txns = new RandomTxnSource(seed).Run(leader, 3000);
        var follower = new DataTree(Members);
        var results = new List<TxnResult>();

        foreach (var txn in txns)
        {
            // The follower gets the txn the way it would off the wire.
            var encoded = TxnCodec.Encode(txn);
            results.Add(follower.Apply(TxnCodec.Decode(encoded), encoded));
        }

        Assert.Equal(leader.Digest, follower.Digest);
        Assert.Equal(leader.Serialize(), follower.Serialize());
        DataTreeAssert.Equal(leader, follower);

        // The sequence must exercise failures, or the test proves little.
        var errors = results.Where(r => !r.Succeeded).Select(r => r.Error!.Value).ToHashSet();
        Assert.Contains(CoordinationError.NoNode, errors);
        Assert.Contains(CoordinationError.NodeExists, errors);
        Assert.Contains(CoordinationError.BadVersion, errors);
        Assert.Contains(CoordinationError.NotEmpty, errors);
        Assert.Contains(CoordinationError.BadArguments, errors);
        Assert.Contains(CoordinationError.SessionExpired, errors);
        Assert.True(results.Count(r => r.Succeeded) > 1000, $"only {results.Count(r => r.Succeeded)} successes");
    }

    [Theory]
    [InlineData(5)]
    [InlineData(99)]
    public void Apply_OneDifferentOp_DifferentDigest(int seed)
    {
        var first = new DataTree(Members);
        var txns = new RandomTxnSource(seed).Run(first, 2000);
        var second = new DataTree(Members);
        var third = new DataTree(Members);
        var changed = txns.FindIndex(t => t.Op is SetDataOp);
        Assert.True(changed >= 0, $"seed {seed} produced no SetData");

        for (var i = 0; i < txns.Count; i++)
        {
            second.Apply(txns[i]);
            var op = txns[i].Op;
            third.Apply(i == changed ? txns[i] with { Op = (SetDataOp)op with { Data = (byte[])[.. ((SetDataOp)op).Data.Span, 0] } } : txns[i]);
        }

        Assert.Equal(first.Digest, second.Digest);
        Assert.NotEqual(first.Digest, third.Digest);
    }

    [Fact]
    public void Apply_SameOpsDifferentZxids_DifferentDigest()
    {
        var a = new DataTree(Members);
        var b = new DataTree(Members);

        a.Apply(new Txn(1, 0, 0, 0, new CreateOp("/a", [], CreateMode.Persistent)));
        b.Apply(new Txn(2, 0, 0, 0, new CreateOp("/a", [], CreateMode.Persistent)));

        Assert.NotEqual(a.Digest, b.Digest);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4242)]
    public void Deserialize_RandomTree_EqualsOriginal(int seed)
    {
        var tree = new DataTree(Members);
        var source = new RandomTxnSource(seed);
        source.Run(tree, 2500);

        var copy = DataTree.Deserialize(tree.Serialize());

        DataTreeAssert.Equal(tree, copy);
        Assert.Equal(tree.Serialize(), copy.Serialize());

        // The copy keeps going exactly like the original.
        for (var i = 0; i < 300; i++)
        {
            var txn = source.Next(tree);
            Assert.Equal(source.Apply(tree, txn), copy.Apply(txn));
        }

        DataTreeAssert.Equal(tree, copy);
    }

    [Fact]
    public void Deserialize_FreshTree_EqualsOriginal()
    {
        var tree = new DataTree(Members);

        DataTreeAssert.Equal(tree, DataTree.Deserialize(tree.Serialize()));
    }

    [Fact]
    public void Deserialize_EveryTruncation_InvalidData()
    {
        var tree = new DataTree(Members);
        new RandomTxnSource(8).Run(tree, 200);
        var bytes = tree.Serialize();

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => DataTree.Deserialize(bytes.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Deserialize_FlippedBytes_InvalidData()
    {
        var tree = new DataTree(Members);
        new RandomTxnSource(9).Run(tree, 200);
        var bytes = tree.Serialize();

        for (var i = 0; i < bytes.Length; i += 7)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x5A;
            Assert.Throws<InvalidDataException>(() => DataTree.Deserialize(damaged));
        }
    }

    [Fact]
    public void Deserialize_TruncatedBodyWithValidChecksum_InvalidData()
    {
        var tree = new DataTree(Members);
        new RandomTxnSource(10).Run(tree, 100);
        var bytes = tree.Serialize();

        // Re-sealing each truncated body gets past the checksum, so the field-by-field checks are what fail.
        for (var length = 5; length < bytes.Length - 8; length++)
        {
            var body = bytes.AsSpan(0, length);
            byte[] sealedBytes = [.. body, .. new byte[8]];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(sealedBytes.AsSpan(length), Hash64.Compute(body));
            Assert.Throws<InvalidDataException>(() => DataTree.Deserialize(sealedBytes));
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Deserialize_Garbage_InvalidData(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 200; i++)
        {
            var garbage = new byte[random.Next(0, 300)];
            random.NextBytes(garbage);
            if (garbage.Length > 5 && i % 2 == 0)
            {
                "QPDT\u0001"u8.CopyTo(garbage); // get past the magic
            }

            Assert.Throws<InvalidDataException>(() => DataTree.Deserialize(garbage));
        }
    }
}
