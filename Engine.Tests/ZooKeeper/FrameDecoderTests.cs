using QuorumPortal.Engine.ZooKeeper.Jute;

namespace QuorumPortal.Engine.Tests.ZooKeeper;

public sealed class FrameDecoderTests
{
    [Fact]
    public void TryReadFrame_ByteByByte_YieldsEachFrameOnceComplete()
    {
        var frames = new[] { new byte[] { 1, 2, 3 }, [], Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray() };
        var stream = frames.SelectMany(f => Convert.FromHexString(f.Length.ToString("x8")).Concat(f)).ToArray();
        var decoder = new FrameDecoder();
        var seen = new List<byte[]>();

        foreach (var b in stream)
        {
            decoder.Append([b]);
            while (decoder.TryReadFrame(out var payload))
            {
                seen.Add(payload.ToArray());
            }
        }

        decoder.Complete();
        Assert.Equal(frames, seen);
    }

    [Fact]
    public void TryReadFrame_NegativeLength_ThrowsInvalidData()
    {
        var decoder = new FrameDecoder();
        decoder.Append(Convert.FromHexString("ffffffff00"));

        var error = Assert.Throws<InvalidDataException>(() => decoder.TryReadFrame(out _));
        Assert.Contains("negative", error.Message);
    }

    [Fact]
    public void TryReadFrame_OverLimit_ThrowsBeforeBuffering()
    {
        var decoder = new FrameDecoder(maxFrameLength: 1024);
        decoder.Append(Convert.FromHexString("00000401"));

        var error = Assert.Throws<InvalidDataException>(() => decoder.TryReadFrame(out _));
        Assert.Contains("exceeds", error.Message);
        Assert.Throws<InvalidDataException>(() => TryRead(new FrameDecoder(), "7fffffff"));
    }

    [Fact]
    public void Complete_InsideFrame_ThrowsTruncated()
    {
        var decoder = new FrameDecoder();
        decoder.Append(Convert.FromHexString("0000000a0102"));

        Assert.False(decoder.TryReadFrame(out _));
        var error = Assert.Throws<InvalidDataException>(decoder.Complete);
        Assert.Contains("ended inside a frame", error.Message);
    }

    [Fact]
    public void Constructor_NonPositiveLimit_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameDecoder(0));

    private static bool TryRead(FrameDecoder decoder, string hex)
    {
        decoder.Append(Convert.FromHexString(hex));
        return decoder.TryReadFrame(out _);
    }
}
