using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.History;

namespace QuorumPortal.Portal.Model;

/// <summary>
/// What one page keeps of an ensemble's events: the newest <see cref="EnsembleHistory.EventCapacity"/> logged events
/// (references shared with the history, not copies), the elections, and whether the ensemble is leaderless now.
/// Seeded once from a <see cref="HistoryCut"/>, then fed the streamed batches. Used on the renderer's dispatcher only.
/// </summary>
public sealed class EventFeed(Func<EnsembleEvent, bool>? filter = null)
{
    private readonly List<LeaderElected> _elections = [];

    public RingBuffer<EnsembleEvent> Events { get; } = new(EnsembleHistory.EventCapacity);

    /// <summary>Elections, oldest first, at most <see cref="EnsembleHistory.ElectionCapacity"/>.</summary>
    public IReadOnlyList<LeaderElected> Elections => _elections;

    public DateTimeOffset? LeaderlessSince { get; private set; }

    /// <summary>Bumped on every change, so views rebuild only then.</summary>
    public long Version { get; private set; }

    public void Seed(HistoryCut cut)
    {
        ArgumentNullException.ThrowIfNull(cut);
        Events.Clear();
        _elections.Clear();
        foreach (var e in cut.Events)
        {
            if (filter?.Invoke(e) ?? true)
            {
                Events.Add(e);
            }
        }

        _elections.AddRange(cut.Elections);
        LeaderlessSince = cut.LeaderlessSince;
        Version++;
    }

    /// <summary>Adds the logged events of <paramref name="batch"/>; true when anything changed.</summary>
    public bool Add(IReadOnlyList<EnsembleEvent> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var changed = false;
        foreach (var e in batch)
        {
            if (!RecordedEvent.IsKept(e))
            {
                continue;
            }

            if (e is LeaderElected elected)
            {
                if (_elections.Count == EnsembleHistory.ElectionCapacity)
                {
                    _elections.RemoveAt(0);
                }

                _elections.Add(elected);
                LeaderlessSince = null;
                changed = true;
            }
            else if (e is LeaderLost lost)
            {
                LeaderlessSince ??= lost.Timestamp;
                changed = true;
            }

            if (filter?.Invoke(e) ?? true)
            {
                Events.Add(e);
                changed = true;
            }
        }

        if (changed)
        {
            Version++;
        }

        return changed;
    }
}
