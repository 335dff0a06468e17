using System.Collections.Concurrent;
using System.Globalization;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Engine.Persistence;

/// <summary>
/// An event kept in the history: what happened to which ensemble and when, in one line an operator reads, with the
/// member, epoch and duration it concerns where there is one.
/// </summary>
public sealed record RecordedEvent(
    string Ensemble,
    DateTimeOffset Timestamp,
    EnsembleEventKind Kind,
    string Summary,
    int? ServerId = null,
    long? Epoch = null,
    TimeSpan? Duration = null)
{
    /// <summary>
    /// Whether <paramref name="e"/> belongs in the history: not samples (heartbeats, throughput — they are many and
    /// superseded) and not operation progress (the operation journal keeps that).
    /// </summary>
    public static bool IsKept(EnsembleEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return !e.IsSample && e.Kind != EnsembleEventKind.OperationProgressed;
    }

    /// <summary>The event as the history keeps it, or null when it is not kept.</summary>
    public static RecordedEvent? From(EnsembleEvent e) => IsKept(e) ? e switch
    {
        LeaderElected x => new(x.Ensemble, x.Timestamp, x.Kind,
            $"server {x.NewLeaderId} leads epoch {x.Epoch}" + (x.OldLeaderId is { } old && old != x.NewLeaderId ? $" (was server {old})" : string.Empty) +
            (x.LeaderlessFor is { } gap ? $"; {Ms(gap)} without a leader" : string.Empty),
            x.NewLeaderId, x.Epoch, x.LeaderlessFor),
        LeaderLost x => new(x.Ensemble, x.Timestamp, x.Kind, $"server {x.OldLeaderId} no longer leads epoch {x.Epoch}", x.OldLeaderId, x.Epoch),
        QuorumLost x => new(x.Ensemble, x.Timestamp, x.Kind, $"quorum lost: {x.ServingVoters} of {x.Voters} voters serving"),
        QuorumRestored x => new(x.Ensemble, x.Timestamp, x.Kind,
            $"quorum restored: {x.ServingVoters} of {x.Voters} voters serving after {Ms(x.WithoutQuorumFor)}", Duration: x.WithoutQuorumFor),
        MembershipChanged x => new(x.Ensemble, x.Timestamp, x.Kind,
            $"members now {string.Join(", ", x.Members.Select(m => m.IsVoter ? $"server.{m.ServerId}" : $"server.{m.ServerId} (observer)"))}, config version 0x{x.ConfigVersion:x}"),
        PeerStateChanged x => new(x.Ensemble, x.Timestamp, x.Kind, $"server {x.ServerId}: {x.OldState} → {x.NewState}", x.ServerId, x.Epoch),
        HeartbeatMissed x => new(x.Ensemble, x.Timestamp, x.Kind, $"server {x.ServerId} missed heartbeats for {Ms(x.MissedFor)}", x.ServerId, Duration: x.MissedFor),
        _ => new(e.Ensemble, e.Timestamp, e.Kind, e.Kind.ToString()),
    } : null;

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";
}

/// <summary>Which events to read: of one ensemble or all, in a time range [From, To), of some kinds, newest first.</summary>
public sealed record EventHistoryQuery
{
    public string? Ensemble { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    /// <summary>Only these kinds; empty means every kind.</summary>
    public IReadOnlyList<EnsembleEventKind> Kinds { get; init; } = [];

    /// <summary>At most this many, the newest. Default 500.</summary>
    public int Limit { get; init; } = 500;

    public bool Matches(RecordedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return (Ensemble is null || e.Ensemble == Ensemble)
            && (From is null || e.Timestamp >= From)
            && (To is null || e.Timestamp < To)
            && (Kinds.Count == 0 || Kinds.Contains(e.Kind));
    }
}

/// <summary>
/// What happened to the ensembles over time (persistence port): leader changes, quorum lost and restored, membership
/// and member state changes — not samples. The portal implements it with SQLite; tests use <see cref="InMemoryEventHistory"/>.
/// </summary>
public interface IEventHistory
{
    Task AppendAsync(IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken);

    /// <summary>The events that match, newest first.</summary>
    Task<IReadOnlyList<RecordedEvent>> QueryAsync(EventHistoryQuery query, CancellationToken cancellationToken);
}

/// <summary>An event history in memory, for tests and for a portal without a database.</summary>
public sealed class InMemoryEventHistory : IEventHistory
{
    private readonly ConcurrentQueue<RecordedEvent> _events = new();

    public Task AppendAsync(IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            _events.Enqueue(e);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RecordedEvent>> QueryAsync(EventHistoryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        // Newest first; of events with one timestamp (one probe round), the one appended last first.
        return Task.FromResult<IReadOnlyList<RecordedEvent>>([.. _events.Reverse().Where(query.Matches).OrderByDescending(e => e.Timestamp).Take(query.Limit)]);
    }
}
