using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Portal.History;

/// <summary>A member's last raw probe text (ZooKeeper's <c>srvr</c>/<c>mntr</c>) and when it was read.</summary>
public sealed record RawProbe(string Text, DateTimeOffset ProbedAt);

/// <summary>
/// What a page opened now needs from the past of one ensemble: the elections and events up to
/// <see cref="LastRound"/>. A page that subscribed before taking the cut skips streamed events of that round
/// or earlier, so it sees every event exactly once.
/// </summary>
public sealed record HistoryCut(
    DateTimeOffset? LastRound,
    IReadOnlyList<LeaderElected> Elections,
    IReadOnlyList<EnsembleEvent> Events,
    DateTimeOffset? LeaderlessSince)
{
    /// <summary>No past at all (the history has not started).</summary>
    public static HistoryCut Empty { get; } = new(null, [], [], null);
}

/// <summary>
/// The recent past of one ensemble, shared by every page: throughput in one-second buckets over
/// <see cref="ChartWindow"/> (ensemble-wide and per member), the last <see cref="ElectionCapacity"/> elections, the
/// last <see cref="EventCapacity"/> events other than samples, and each member's last raw probe text. Fed by one
/// subscription in <see cref="EnsembleHistoryService"/>; read from any thread.
/// </summary>
public sealed class EnsembleHistory
{
    public const int EventCapacity = 1000;
    public const int ElectionCapacity = 500;
    public static readonly TimeSpan ChartWindow = TimeSpan.FromMinutes(5);

    private readonly Lock _lock = new();
    private readonly RateSeries _ensemble = new(ChartWindow);
    private readonly Dictionary<int, RateSeries> _members = [];
    private readonly RingBuffer<LeaderElected> _elections = new(ElectionCapacity);
    private readonly RingBuffer<EnsembleEvent> _events = new(EventCapacity);
    private readonly Dictionary<int, RawProbe> _raw = [];
    private DateTimeOffset? _lastRound;
    private DateTimeOffset? _leaderlessSince;
    private long _batches;

    public EnsembleHistory(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    public string Name { get; }

    /// <summary>Batches applied so far; tests and pages wait on it.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Folds one batch from the stream in; <paramref name="current"/> supplies the raw probe texts.</summary>
    public void Apply(IReadOnlyList<EnsembleEvent> batch, EnsembleSnapshot? current)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_lock)
        {
            foreach (var e in batch)
            {
                if (e.Kind == EnsembleEventKind.OperationProgressed)
                {
                    // Not logged (the operation's own page shows it), and stamped by the coordinator's clock, not a
                    // probe round's: counted in the last round, it would hide a round published just after it.
                    continue;
                }

                _lastRound = _lastRound is { } last && last > e.Timestamp ? last : e.Timestamp;
                switch (e)
                {
                    case ThroughputSample { ServerId: null } sample:
                        _ensemble.Add(sample);
                        continue;
                    case ThroughputSample { ServerId: int id } sample:
                        if (!_members.TryGetValue(id, out var series))
                        {
                            _members[id] = series = new RateSeries(ChartWindow);
                        }

                        series.Add(sample);
                        continue;
                    case LeaderElected elected:
                        _elections.Add(elected);
                        _leaderlessSince = null;
                        break;
                    case LeaderLost lost:
                        _leaderlessSince ??= lost.Timestamp;
                        break;
                }

                if (!e.IsSample)
                {
                    _events.Add(e);
                }
            }

            if (current is not null)
            {
                KeepRaw(current);
            }
        }

        Interlocked.Increment(ref _batches);
    }

    /// <summary>Remembers the raw text of every member that answered; also used for the first snapshot.</summary>
    public void KeepRaw(EnsembleSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_lock)
        {
            foreach (var status in snapshot.Statuses)
            {
                // A down ZooKeeper member's text is whatever it said before failing; keep the last full answer.
                if (status.Raw is { Length: > 0 } raw && status.State != PeerState.Down)
                {
                    _raw[status.ServerId] = new RawProbe(raw, status.ProbedAt);
                }
            }
        }
    }

    /// <summary>Copies the elections and events (references, at most a few thousand) for a page that opens now.</summary>
    public HistoryCut Cut()
    {
        lock (_lock)
        {
            return new HistoryCut(_lastRound, _elections.ToArray(), _events.ToArray(), _leaderlessSince);
        }
    }

    /// <summary>
    /// Replaces the contents of <paramref name="into"/> with the buckets of the ensemble (<paramref name="serverId"/>
    /// null) or one member, oldest first, and returns the series' version; <paramref name="into"/> is left alone
    /// when the version equals <paramref name="knownVersion"/>. Versions start at 1; 0 means no such series.
    /// </summary>
    public long CopyRates(int? serverId, List<RatePoint> into, long knownVersion = -1)
    {
        ArgumentNullException.ThrowIfNull(into);
        lock (_lock)
        {
            if (Series(serverId) is not { } series)
            {
                if (knownVersion != 0)
                {
                    into.Clear();
                }

                return 0;
            }

            if (series.Version != knownVersion)
            {
                into.Clear();
                series.CopyTo(into);
            }

            return series.Version;
        }
    }

    /// <summary>
    /// The chart of the ensemble's (<paramref name="serverId"/> null) or one member's series now, shared by every page
    /// that asks for the same version; null when there is no such series.
    /// </summary>
    public RateChart? Chart(int? serverId)
    {
        lock (_lock)
        {
            return Series(serverId)?.Chart();
        }
    }

    /// <summary>The newest bucket of the ensemble or one member.</summary>
    public RatePoint? NewestRate(int? serverId)
    {
        lock (_lock)
        {
            return Series(serverId)?.Newest;
        }
    }

    public RawProbe? LastRaw(int serverId)
    {
        lock (_lock)
        {
            return _raw.GetValueOrDefault(serverId);
        }
    }

    private RateSeries? Series(int? serverId) =>
        serverId is int id ? _members.GetValueOrDefault(id) : _ensemble;
}
