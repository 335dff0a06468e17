using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Tests.Testing;

namespace QuorumPortal.Engine.Tests.Monitoring;

public sealed class EnsembleMonitorTests : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly ManualTimeProvider _time = new();
    private readonly FakeBackend _backend;
    private readonly EnsembleMonitor _monitor;

    public EnsembleMonitorTests()
    {
        _backend = new FakeBackend("alpha", _time, 3);
        _monitor = Create(new EnsembleMonitorOptions { ProbeInterval = Interval });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _monitor.DisposeAsync();

    private EnsembleMonitor Create(EnsembleMonitorOptions options, TimeProvider? time = null) =>
        new(_backend, options, time ?? _time, NullLogger<EnsembleMonitor>.Instance);

    private async Task<List<EnsembleEvent>> RoundAsync(TimeSpan? after = null)
    {
        _time.Advance(after ?? Interval);
        using var subscription = _monitor.Events.Subscribe(CancellationToken.None);
        await _monitor.ProbeOnceAsync(CancellationToken.None);
        subscription.TryReadBatch(out var batch);
        return [.. batch];
    }

    private static List<EnsembleEvent> Important(IEnumerable<EnsembleEvent> events) => [.. events.Where(e => !e.IsSample)];

    [Fact]
    public async Task ProbeOnceAsync_FirstRound_EmitsLeaderElectedWithoutLeaderlessTime()
    {
        _backend.Healthy(leader: 2, epoch: 7);
        using var subscription = _monitor.Events.Subscribe(CancellationToken.None);
        Assert.Null(subscription.Snapshot);

        var snapshot = await _monitor.ProbeOnceAsync(CancellationToken.None);

        var events = await subscription.ReadUntilAsync(seen => seen.OfType<LeaderElected>().Any());
        var elected = Assert.Single(Important(events));
        Assert.Equal(new LeaderElected("alpha", _time.GetUtcNow(), null, 2, 7, null), elected);
        Assert.Equal(2, snapshot.LeaderId);
        Assert.True(snapshot.HasQuorum);
        Assert.Same(snapshot, _monitor.Current);
    }

    [Fact]
    public async Task ProbeOnceAsync_LeaderKilled_EmitsStateChangesThenLeaderLostThenLeaderElected()
    {
        _backend.Healthy(leader: 1, epoch: 1);
        await RoundAsync();

        _backend.Set(1, PeerState.Down);
        _backend.Set(2, PeerState.Looking);
        _backend.Set(3, PeerState.Looking);
        var lost = Important(await RoundAsync());
        var lostAt = _time.GetUtcNow();

        Assert.Equal(
            [
                new PeerStateChanged("alpha", lostAt, 1, PeerState.Leading, PeerState.Down, 1),
                new PeerStateChanged("alpha", lostAt, 2, PeerState.Following, PeerState.Looking, 1),
                new PeerStateChanged("alpha", lostAt, 3, PeerState.Following, PeerState.Looking, 1),
                new LeaderLost("alpha", lostAt, 1, 1),
                new QuorumLost("alpha", lostAt, 0, 3),
            ],
            lost);

        Assert.Empty(Important(await RoundAsync())); // still electing: nothing new to say

        _backend.Set(3, PeerState.Leading, epoch: 2);
        _backend.Set(2, PeerState.Following, epoch: 2);
        var elected = Important(await RoundAsync(TimeSpan.FromMilliseconds(150)));
        var electedAt = _time.GetUtcNow();

        Assert.Equal(
            [
                new PeerStateChanged("alpha", electedAt, 2, PeerState.Looking, PeerState.Following, 2),
                new PeerStateChanged("alpha", electedAt, 3, PeerState.Looking, PeerState.Leading, 2),
                new LeaderElected("alpha", electedAt, 1, 3, 2, TimeSpan.FromMilliseconds(400)),
                new QuorumRestored("alpha", electedAt, 2, 3, TimeSpan.FromMilliseconds(400)),
            ],
            elected);
    }

    [Fact]
    public async Task ProbeOnceAsync_LeaderChangesBetweenTwoRounds_ReportsLossAndElectionWithZeroGap()
    {
        _backend.Healthy(leader: 1, epoch: 4);
        await RoundAsync();

        _backend.Healthy(leader: 2, epoch: 5);
        var events = Important(await RoundAsync());

        var lost = Assert.Single(events.OfType<LeaderLost>());
        var elected = Assert.Single(events.OfType<LeaderElected>());
        Assert.True(events.IndexOf(lost) < events.IndexOf(elected));
        Assert.True(events.OfType<PeerStateChanged>().All(e => events.IndexOf(e) < events.IndexOf(lost)));
        Assert.Equal((1, 4L), (lost.OldLeaderId, lost.Epoch));
        Assert.Equal((1, 2, 5L, TimeSpan.Zero), (elected.OldLeaderId, elected.NewLeaderId, elected.Epoch, elected.LeaderlessFor));
        Assert.DoesNotContain(events, e => e is QuorumLost or QuorumRestored);
    }

    [Fact]
    public async Task ProbeOnceAsync_SameLeaderNewEpoch_ReportsReElection()
    {
        _backend.Healthy(leader: 1, epoch: 1);
        await RoundAsync();

        _backend.Healthy(leader: 1, epoch: 2);
        var events = Important(await RoundAsync());

        Assert.Equal([EnsembleEventKind.LeaderLost, EnsembleEventKind.LeaderElected], events.Select(e => e.Kind));
        Assert.Equal((1, 1, 2L), (((LeaderElected)events[1]).OldLeaderId, ((LeaderElected)events[1]).NewLeaderId, ((LeaderElected)events[1]).Epoch));
    }

    [Fact]
    public async Task ProbeOnceAsync_FollowersDownAndBack_ReportsQuorumLostThenRestoredWithDuration()
    {
        _backend.Healthy(leader: 1, epoch: 3);
        await RoundAsync();

        _backend.Set(2, PeerState.Down);
        _backend.Set(3, PeerState.Down);
        var lost = Important(await RoundAsync());
        Assert.Equal([EnsembleEventKind.PeerStateChanged, EnsembleEventKind.PeerStateChanged, EnsembleEventKind.QuorumLost], lost.Select(e => e.Kind));
        Assert.Equal((1, 3), (((QuorumLost)lost[2]).ServingVoters, ((QuorumLost)lost[2]).Voters));
        Assert.Equal(3, ((PeerStateChanged)lost[0]).Epoch); // a down member keeps the epoch it had

        for (var i = 0; i < 11; i++)
        {
            Assert.Empty(Important(await RoundAsync()));
        }

        _backend.Set(3, PeerState.Following);
        var restored = Important(await RoundAsync());

        var back = Assert.Single(restored.OfType<QuorumRestored>());
        Assert.Equal(new QuorumRestored("alpha", _time.GetUtcNow(), 2, 3, 12 * Interval), back);
        Assert.DoesNotContain(restored, e => e is LeaderLost or LeaderElected);
    }

    [Fact]
    public async Task ProbeOnceAsync_FirstRoundWithoutQuorum_ReportsQuorumLost()
    {
        var events = Important(await RoundAsync());

        Assert.Equal([new QuorumLost("alpha", _time.GetUtcNow(), 0, 3)], events);
    }

    [Fact]
    public async Task ProbeOnceAsync_HeartbeatStalls_EmitsHeartbeatMissedOncePerOutage()
    {
        await using var monitor = Create(new EnsembleMonitorOptions { ProbeInterval = Interval, HeartbeatMissedAfter = TimeSpan.FromSeconds(1) });
        _backend.Healthy(leader: 1, epoch: 1);
        var missed = new List<HeartbeatMissed>();
        var observed = new List<HeartbeatObserved>();
        using var subscription = monitor.Events.Subscribe(CancellationToken.None);

        async Task Round(bool member2Beats)
        {
            _time.Advance(Interval);
            foreach (var id in member2Beats ? new[] { 1, 2, 3 } : [1, 3])
            {
                _backend.Update(id, s => s with { LastHeartbeat = _time.GetUtcNow() });
            }

            await monitor.ProbeOnceAsync(CancellationToken.None);
            subscription.TryReadBatch(out var batch);
            missed.AddRange(batch.OfType<HeartbeatMissed>());
            observed.AddRange(batch.OfType<HeartbeatObserved>().Where(e => e.ServerId == 2));
        }

        await Round(member2Beats: true);
        var stalledSince = _time.GetUtcNow();
        for (var i = 0; i < 4; i++)
        {
            await Round(member2Beats: false);
        }

        Assert.Empty(missed); // exactly 1 s old is not yet "longer than" 1 s

        for (var i = 0; i < 8; i++)
        {
            await Round(member2Beats: false);
        }

        var first = Assert.Single(missed);
        Assert.Equal((2, stalledSince, TimeSpan.FromMilliseconds(1250)), (first.ServerId, first.Since, first.MissedFor));
        Assert.Single(observed);

        await Round(member2Beats: true);
        Assert.Equal(2, observed.Count);
        for (var i = 0; i < 5; i++)
        {
            await Round(member2Beats: false);
        }

        Assert.Equal(2, missed.Count);
        Assert.Equal(2, missed[1].ServerId);
    }

    [Fact]
    public async Task ProbeOnceAsync_DefaultThreshold_IsTwoTicksOrTwoRoundsWhicheverIsLonger()
    {
        var options = new EnsembleMonitorOptions { ProbeInterval = Interval };

        Assert.Equal(TimeSpan.FromSeconds(4), options.EffectiveHeartbeatMissedAfter(new EnsembleSettings()));
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.EffectiveHeartbeatMissedAfter(EnsembleSettings.Fast));

        _backend.Healthy(leader: 1, epoch: 1);
        _backend.Update(2, s => s with { LastHeartbeat = _time.GetUtcNow() });
        var events = new List<EnsembleEvent>();
        for (var i = 0; i < 3; i++)
        {
            events.AddRange(await RoundAsync());
        }

        Assert.Single(events.OfType<HeartbeatMissed>()); // 750 ms old > 500 ms (tickTime 200 ms)
    }

    [Fact]
    public async Task ProbeOnceAsync_CountersAdvance_EmitsRatesAndTreatsCounterDropAsRestart()
    {
        _backend.Healthy(leader: 1, epoch: 1);
        void Counters(int id, long reads, long writes, double avg, double max) =>
            _backend.Update(id, s => s with { ReadsServed = reads, WritesServed = writes, LatencyAvg = avg, LatencyMax = max });

        Counters(1, 100, 10, 1, 5);
        Counters(2, 200, 20, 2, 6);
        Counters(3, 300, 30, 3, 7);
        Assert.Empty((await RoundAsync()).OfType<ThroughputSample>()); // nothing to compare with yet

        Counters(1, 300, 30, 1, 5);
        Counters(2, 400, 40, 2, 6);
        Counters(3, 500, 50, 3, 9);
        var second = (await RoundAsync(TimeSpan.FromSeconds(2))).OfType<ThroughputSample>().ToList();

        var whole = Assert.Single(second, s => s.ServerId is null);
        Assert.Equal(new ThroughputSample("alpha", _time.GetUtcNow(), 300, 30, 2, 9, TimeSpan.FromSeconds(2)), whole);
        var member3 = Assert.Single(second, s => s.ServerId == 3);
        Assert.Equal((100.0, 10.0, 3.0, 9.0), (member3.ReadsPerSecond, member3.WritesPerSecond, member3.LatencyAvg, member3.LatencyMax));

        Counters(1, 400, 40, 1, 5);
        Counters(2, 50, 5, 2, 6); // restarted: counts from zero again
        Counters(3, 600, 60, 3, 9);
        var third = (await RoundAsync(TimeSpan.FromSeconds(1))).OfType<ThroughputSample>().ToList();

        var afterRestart = Assert.Single(third, s => s.ServerId is null);
        Assert.Equal((250.0, 25.0), (afterRestart.ReadsPerSecond, afterRestart.WritesPerSecond));
        Assert.Equal(50.0, Assert.Single(third, s => s.ServerId == 2).ReadsPerSecond);
    }

    [Fact]
    public async Task ProbeOnceAsync_MemberDownThenBack_CountsFromLastKnownCounter()
    {
        _backend.Healthy(leader: 1, epoch: 1);
        _backend.Update(2, s => s with { ReadsServed = 1000 });
        await RoundAsync();

        _backend.Update(2, s => s with { State = PeerState.Down, ReadsServed = null });
        var down = (await RoundAsync(TimeSpan.FromSeconds(1))).OfType<ThroughputSample>().Single(s => s.ServerId is null);
        Assert.Equal(0, down.ReadsPerSecond);

        _backend.Update(2, s => s with { State = PeerState.Following, ReadsServed = 1100 });
        var back = (await RoundAsync(TimeSpan.FromSeconds(1))).OfType<ThroughputSample>().Single(s => s.ServerId is null);
        Assert.Equal(100, back.ReadsPerSecond);
    }

    [Fact]
    public async Task ProbeOnceAsync_SampleEveryThreeRounds_SamplesOverThreeIntervals()
    {
        await using var monitor = Create(new EnsembleMonitorOptions { ProbeInterval = Interval, ThroughputSampleEvery = 3, PerMemberThroughput = false });
        _backend.Healthy(leader: 1, epoch: 1);
        using var subscription = monitor.Events.Subscribe(CancellationToken.None);
        var samples = new List<ThroughputSample>();
        for (var round = 0; round < 7; round++)
        {
            _backend.Update(1, s => s with { WritesServed = round * 75L });
            await monitor.ProbeOnceAsync(CancellationToken.None);
            subscription.TryReadBatch(out var batch);
            samples.AddRange(batch.OfType<ThroughputSample>());
            _time.Advance(Interval);
        }

        Assert.Equal(2, samples.Count);
        Assert.All(samples, s => Assert.Equal((3 * Interval, 300.0), (s.Interval, s.WritesPerSecond)));
    }

    [Fact]
    public async Task ProbeOnceAsync_MemberAdded_EmitsMembershipChanged()
    {
        _backend.Healthy(leader: 1, epoch: 1);
        _backend.Update(1, s => s with { ConfigVersion = 0x100000004 });
        Assert.DoesNotContain(await RoundAsync(), e => e is MembershipChanged);

        var grown = _backend.Members.Append(new MemberSpec { ServerId = 4, Role = MemberRole.Observer }).ToArray();
        _backend.Members = grown;
        _backend.Update(4, s => s with { State = PeerState.Observing, Role = MemberRole.Observer });
        var events = await RoundAsync();

        var changed = Assert.Single(events.OfType<MembershipChanged>());
        Assert.Equal(grown, changed.Members);
        Assert.Equal(0x100000004, changed.ConfigVersion);
        Assert.Equal(EnsembleEventKind.MembershipChanged, events[0].Kind);
        Assert.DoesNotContain(events, e => e is PeerStateChanged); // a joiner has no old state
        Assert.Empty((await RoundAsync()).OfType<MembershipChanged>());
    }

    [Fact]
    public async Task ProbeOnceAsync_ProbeThrows_ReportsMemberDownWithTheMessage()
    {
        _backend.Healthy(leader: 1, epoch: 1);
        await RoundAsync();

        _backend.FailProbes(3, new InvalidOperationException("connection refused"));
        var events = Important(await RoundAsync());

        var status = _monitor.Current!.Status(3)!;
        Assert.Equal((PeerState.Down, "connection refused"), (status.State, status.Error));
        Assert.Equal([new PeerStateChanged("alpha", _time.GetUtcNow(), 3, PeerState.Following, PeerState.Down, 1)], events);
        Assert.True(_monitor.Current.HasQuorum);
    }

    [Fact]
    public async Task ProbeOnceAsync_ProbeNeverAnswers_ReportsDownAfterTheTimeoutAndCancelsTheProbe()
    {
        _backend.Healthy(leader: 1, epoch: 1);
        _backend.Hung[2] = false;
        await using var monitor = Create(new EnsembleMonitorOptions { ProbeInterval = Interval, ProbeTimeout = TimeSpan.FromMilliseconds(20) });

        var snapshot = await monitor.ProbeOnceAsync(CancellationToken.None).WaitAsync(SubscriptionExtensions.Patience);

        var status = snapshot.Status(2)!;
        Assert.Equal(PeerState.Down, status.State);
        Assert.Contains("not answered", status.Error);
        Assert.True(_backend.Hung[2]);
        Assert.Equal(PeerState.Leading, snapshot.Status(1)!.State);
    }

    [Fact]
    public async Task StartAsync_Running_ProbesOnItsTimerUntilDisposed()
    {
        _backend.Healthy(leader: 1, epoch: 1);
        _backend.Update(1, s => s with { ReadsServed = 1 }); // so every round has a throughput sample to deliver
        var monitor = Create(new EnsembleMonitorOptions { ProbeInterval = TimeSpan.FromMilliseconds(5) }, TimeProvider.System);
        using var subscription = monitor.Events.Subscribe(CancellationToken.None);
        using var idle = monitor.Events.Subscribe(CancellationToken.None);

        await monitor.StartAsync(CancellationToken.None);
        Assert.True(monitor.IsRunning);
        await Assert.ThrowsAsync<InvalidOperationException>(() => monitor.StartAsync(CancellationToken.None));

        var events = await subscription.ReadUntilAsync(seen => seen.OfType<LeaderElected>().Any() && _backend.Probes >= 9);
        Assert.IsType<LeaderElected>(events[0]);

        await monitor.DisposeAsync();
        Assert.False(monitor.IsRunning);
        Assert.True(idle.IsDisposed); // the monitor owned the stream, so its end ends the subscriptions
    }

    [Fact]
    public async Task StartAsync_BackendThrowsForAWhile_KeepsProbing()
    {
        _backend.Healthy(leader: 1, epoch: 1);
        _backend.MembersThrows = new InvalidOperationException("backend restarting");
        await using var monitor = Create(new EnsembleMonitorOptions { ProbeInterval = TimeSpan.FromMilliseconds(5) }, TimeProvider.System);
        using var subscription = monitor.Events.Subscribe(CancellationToken.None);

        await monitor.StartAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => monitor.ProbeOnceAsync(CancellationToken.None));
        _backend.MembersThrows = null;

        await subscription.ReadUntilAsync(seen => seen.OfType<LeaderElected>().Any());
        Assert.True(monitor.IsRunning);
    }

    [Fact]
    public void Constructor_ZeroProbeInterval_ThrowsValidationException()
    {
        var error = Assert.Throws<ValidationException>(() => Create(new EnsembleMonitorOptions { ProbeInterval = TimeSpan.Zero }));

        Assert.Equal("probeInterval", Assert.Single(error.Errors).Field);
    }

    [Theory]
    [InlineData(0, 1, 2000)]
    [InlineData(250, 0, 2000)]
    [InlineData(250, 1, 0)]
    public void Validate_NonPositiveSettings_Reported(int intervalMs, int sampleEvery, int timeoutMs)
    {
        var options = new EnsembleMonitorOptions
        {
            ProbeInterval = TimeSpan.FromMilliseconds(intervalMs),
            ThroughputSampleEvery = sampleEvery,
            ProbeTimeout = TimeSpan.FromMilliseconds(timeoutMs),
        };

        Assert.Single(options.Validate());
    }
}
