using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Engine.Monitoring;

/// <summary>Turning two consecutive snapshots into events. Only called under the round lock.</summary>
public sealed partial class EnsembleMonitor
{
    private readonly Dictionary<int, MemberTrack> _tracks = [];
    private EnsembleSnapshot? _previous;
    private (int Id, long Epoch)? _leader;
    private int? _lastLeaderId;
    private DateTimeOffset? _leaderlessSince;
    private DateTimeOffset? _quorumLostAt;
    private DateTimeOffset? _lastSampleAt;
    private int _roundsSinceSample;

    /// <summary>What the monitor remembers of one member between rounds.</summary>
    private sealed class MemberTrack
    {
        public DateTimeOffset? LastHeartbeat;
        public bool HeartbeatMissed;

        // Counters at the last throughput sample; kept through rounds that report none (a down member).
        public long? Reads;
        public long? Writes;
    }

    // Order within a round: membership, peer states, missed heartbeats, leader lost, leader elected, quorum,
    // then the samples, so a reader applying events in order never sees a leader elected before the old one is lost.
    private List<EnsembleEvent> Diff(EnsembleSnapshot current, EnsembleSettings settings)
    {
        var events = new List<EnsembleEvent>();
        var now = current.TakenAt;
        var name = current.Name;
        var previous = _previous;

        if (previous is not null && !previous.Members.SequenceEqual(current.Members))
        {
            events.Add(new MembershipChanged(name, now, current.Members, ConfigVersionOf(current)));
        }

        foreach (var gone in _tracks.Keys.Where(id => current.Status(id) is null).ToArray())
        {
            _tracks.Remove(gone);
        }

        foreach (var status in current.Statuses)
        {
            if (previous?.Status(status.ServerId) is { } before && before.State != status.State)
            {
                // A down member reports no epoch; keep the one it last had.
                var epoch = status.State == PeerState.Down ? before.Epoch : status.Epoch;
                events.Add(new PeerStateChanged(name, now, status.ServerId, before.State, status.State, epoch));
            }
        }

        var samples = new List<EnsembleEvent>();
        var threshold = Options.EffectiveHeartbeatMissedAfter(settings);
        foreach (var status in current.Statuses)
        {
            DiffHeartbeat(status, threshold, name, now, events, samples);
        }

        DiffLeader(current, now, events);
        DiffQuorum(current, previous, now, events);
        events.AddRange(samples);
        SampleThroughput(current, now, events);

        _previous = current;
        return events;
    }

    private void DiffHeartbeat(MemberStatus status, TimeSpan threshold, string name, DateTimeOffset now, List<EnsembleEvent> events, List<EnsembleEvent> samples)
    {
        if (!_tracks.TryGetValue(status.ServerId, out var track))
        {
            _tracks[status.ServerId] = track = new MemberTrack();
        }

        if (status.LastHeartbeat is { } heartbeat && (track.LastHeartbeat is not { } seen || heartbeat > seen))
        {
            track.LastHeartbeat = heartbeat;
            track.HeartbeatMissed = false;
            samples.Add(new HeartbeatObserved(name, now, status.ServerId, status.State, heartbeat, status.LatencyAvg));
        }

        if (!status.IsServing)
        {
            // Down or looking is reported as a state change; a fresh outage starts when it serves again.
            track.HeartbeatMissed = false;
            return;
        }

        // Age on the member's own clock (both times come from the same probe), so clock skew does not matter.
        if (!track.HeartbeatMissed && status.LastHeartbeat is { } last && status.ProbedAt - last > threshold)
        {
            track.HeartbeatMissed = true;
            events.Add(new HeartbeatMissed(name, now, status.ServerId, last, status.ProbedAt - last));
        }
    }

    private void DiffLeader(EnsembleSnapshot current, DateTimeOffset now, List<EnsembleEvent> events)
    {
        (int Id, long Epoch)? leader = current.LeaderId is int id ? (id, current.Status(id)!.Epoch) : null;
        if (leader == _leader)
        {
            return;
        }

        // A new epoch under the same leader is a re-election the probes did not see: report it as one.
        if (_leader is { } old)
        {
            events.Add(new LeaderLost(current.Name, now, old.Id, old.Epoch));
            _leaderlessSince ??= now;
        }

        if (leader is { } elected)
        {
            var leaderlessFor = _leaderlessSince is { } since ? now - since : (TimeSpan?)null;
            events.Add(new LeaderElected(current.Name, now, _lastLeaderId, elected.Id, elected.Epoch, leaderlessFor));
            _leaderlessSince = null;
            _lastLeaderId = elected.Id;
        }

        _leader = leader;
    }

    private void DiffQuorum(EnsembleSnapshot current, EnsembleSnapshot? previous, DateTimeOffset now, List<EnsembleEvent> events)
    {
        var had = previous?.HasQuorum;
        var has = current.HasQuorum;
        if (!has && had != false)
        {
            // Also at the first round: an ensemble without quorum is worth an alert however the monitor found it.
            _quorumLostAt = now;
            events.Add(new QuorumLost(current.Name, now, current.ServingVoters, current.VoterCount));
        }
        else if (has && had == false)
        {
            var without = _quorumLostAt is { } lostAt ? now - lostAt : TimeSpan.Zero;
            _quorumLostAt = null;
            events.Add(new QuorumRestored(current.Name, now, current.ServingVoters, current.VoterCount, without));
        }
    }

    private void SampleThroughput(EnsembleSnapshot current, DateTimeOffset now, List<EnsembleEvent> events)
    {
        _roundsSinceSample++;
        if (_lastSampleAt is not null && _roundsSinceSample < Options.ThroughputSampleEvery)
        {
            return;
        }

        var interval = _lastSampleAt is { } at ? now - at : TimeSpan.Zero;
        var emit = _lastSampleAt is not null && interval > TimeSpan.Zero;
        _lastSampleAt = now;
        _roundsSinceSample = 0;

        long reads = 0;
        long writes = 0;
        var anyCounters = false;
        var perMember = new List<EnsembleEvent>();
        foreach (var status in current.Statuses)
        {
            var track = _tracks[status.ServerId];
            anyCounters |= status.ReadsServed is not null || status.WritesServed is not null || track.Reads is not null || track.Writes is not null;
            var memberReads = Delta(track.Reads, status.ReadsServed);
            var memberWrites = Delta(track.Writes, status.WritesServed);
            track.Reads = status.ReadsServed ?? track.Reads;
            track.Writes = status.WritesServed ?? track.Writes;
            reads += memberReads;
            writes += memberWrites;
            if (emit && Options.PerMemberThroughput && (status.ReadsServed is not null || status.WritesServed is not null))
            {
                perMember.Add(new ThroughputSample(
                    current.Name, now, memberReads / interval.TotalSeconds, memberWrites / interval.TotalSeconds,
                    status.LatencyAvg, status.LatencyMax, interval, status.ServerId));
            }
        }

        if (!emit || !anyCounters)
        {
            return;
        }

        var serving = current.Statuses.Where(s => s.IsServing).ToArray();
        var latencyAvg = serving.Length == 0 ? 0 : serving.Average(s => s.LatencyAvg);
        var latencyMax = serving.Length == 0 ? 0 : serving.Max(s => s.LatencyMax);
        events.Add(new ThroughputSample(current.Name, now, reads / interval.TotalSeconds, writes / interval.TotalSeconds, latencyAvg, latencyMax, interval));
        events.AddRange(perMember);
    }

    /// <summary>
    /// Requests completed since the last sample. A counter that went backwards belongs to a restarted member,
    /// which counted from zero: its whole value is new. A member never counted before contributes nothing yet.
    /// </summary>
    private static long Delta(long? before, long? now) => (before, now) switch
    {
        (long b, long n) when n >= b => n - b,
        (long, long n) => n,
        _ => 0,
    };

    private static long ConfigVersionOf(EnsembleSnapshot snapshot) =>
        snapshot.LeaderId is int leader
            ? snapshot.Status(leader)!.ConfigVersion
            : snapshot.Statuses.Select(s => s.ConfigVersion).DefaultIfEmpty().Max();
}
