namespace QuorumPortal.Portal.History;

/// <summary>
/// The newest <see cref="Capacity"/> items, oldest dropped first. Not thread-safe: the owner locks. Reading copies
/// out (oldest first or newest first) so a reader never holds a view the writer is changing.
/// </summary>
public sealed class RingBuffer<T>
{
    private readonly T[] _items;
    private int _start;

    public RingBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _items = new T[capacity];
    }

    public int Capacity => _items.Length;

    public int Count { get; private set; }

    /// <summary>The item <paramref name="index"/> places after the oldest.</summary>
    public T this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return _items[(_start + index) % _items.Length];
        }
    }

    /// <summary>The item <paramref name="index"/> places after the oldest, to change in place.</summary>
    public ref T Ref(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return ref _items[(_start + index) % _items.Length];
    }

    /// <summary>Adds <paramref name="item"/> as the newest; when full, the oldest is dropped.</summary>
    public void Add(T item)
    {
        if (Count < _items.Length)
        {
            _items[(_start + Count) % _items.Length] = item;
            Count++;
            return;
        }

        _items[_start] = item;
        _start = (_start + 1) % _items.Length;
    }

    /// <summary>Drops the oldest item; false when empty.</summary>
    public bool RemoveOldest()
    {
        if (Count == 0)
        {
            return false;
        }

        _items[_start] = default!;
        _start = (_start + 1) % _items.Length;
        Count--;
        return true;
    }

    public void Clear()
    {
        Array.Clear(_items);
        _start = 0;
        Count = 0;
    }

    /// <summary>Every item, oldest first.</summary>
    public T[] ToArray()
    {
        var copy = new T[Count];
        for (var i = 0; i < Count; i++)
        {
            copy[i] = this[i];
        }

        return copy;
    }
}
