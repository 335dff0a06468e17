using QuorumPortal.Portal.History;

namespace QuorumPortal.Portal.Tests.History;

public sealed class RingBufferTests
{
    [Fact]
    public void Add_PastCapacity_OldestDroppedInOrder()
    {
        var ring = new RingBuffer<int>(3);

        for (var i = 1; i <= 5; i++)
        {
            ring.Add(i);
        }

        Assert.Equal(3, ring.Count);
        Assert.Equal([3, 4, 5], ring.ToArray());
        Assert.Equal(3, ring[0]);
        Assert.Equal(5, ring[2]);
        ring.Add(6);
        Assert.Equal([4, 5, 6], ring.ToArray());
    }

    [Fact]
    public void RemoveOldest_ThenAdd_KeepsOrder()
    {
        var ring = new RingBuffer<string>(2);
        ring.Add("a");
        ring.Add("b");

        Assert.True(ring.RemoveOldest());
        ring.Add("c");

        Assert.Equal(["b", "c"], ring.ToArray());
        ring.Clear();
        Assert.False(ring.RemoveOldest());
        Assert.Empty(ring.ToArray());
    }

    [Fact]
    public void Index_OutOfRange_Throws()
    {
        var ring = new RingBuffer<int>(2);
        ring.Add(1);

        Assert.Throws<ArgumentOutOfRangeException>(() => ring[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RingBuffer<int>(0));
    }
}
