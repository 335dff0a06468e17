using System.Globalization;
using System.Threading.Channels;
using Microsoft.Playwright;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// Time from the Engine emitting <see cref="LeaderElected"/> to Chromium's DOM showing the new leader, on the portal's
/// embedded demo (3 members, tickTime 200 ms, probes every 250 ms) served by Kestrel in this process. Each trial kills
/// the leader, reads the event from a subscription of its own, and takes the DOM time from a MutationObserver in the
/// page that stamps <c>performance.timeOrigin + performance.now()</c> when the leader marker changes; both clocks are
/// the machine's wall clock (checked at the start and the end). The killed member is restarted and every member
/// serves again, on the page too, before the next kill.
/// </summary>
/// <remarks>
/// The event's <see cref="EnsembleEvent.Timestamp"/> is its probe round's time, taken when the round's last probe
/// answered; the monitor diffs and publishes right after it, so emit→DOM is measured from that timestamp, and the
/// subscriber's receive time shows how far the publish is from it. Kill→DOM adds the election and up to one probe
/// interval of detection; each kill waits a random 0–1 probe interval first (seeded), so kills fall at random points of
/// the probe cycle rather than just after the round that rendered the page. Options: <c>--trials</c> (default 50),
/// <c>--seed</c> (default 1).
/// </remarks>
internal static class UiLatencyBenchmark
{
    private const string Name = "ui-latency";
    private const string Demo = "demo";

    // Stamps every change of the ensemble's leader marker; Blazor may patch the attribute or replace the element.
    private const string ObserverScript = """
        (ensemble) => {
          const read = () => document.querySelector(`[data-ensemble="${ensemble}"] [data-leader-id]`)?.getAttribute('data-leader-id') ?? null;
          window.__qpLeaderMarks = [];
          let last = read();
          new MutationObserver(() => {
            const id = read();
            if (id !== last) {
              last = id;
              window.__qpLeaderMarks.push({ id, at: performance.timeOrigin + performance.now() });
            }
          }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-leader-id'] });
        }
        """;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(BenchmarkArgs args)
    {
        var trials = args.GetInt("trials", 50);
        var seed = args.GetInt("seed", 1);
        var phase = new Random(seed);
        await using var portal = await PortalHost.StartAsync(new Dictionary<string, string?>());
        if (!portal.Registry.TryGet(Demo, out var demo))
        {
            throw new InvalidOperationException("the portal did not start its demo ensemble");
        }

        using var stop = new CancellationTokenSource();
        var elected = Channel.CreateUnbounded<(LeaderElected Event, DateTimeOffset ReceivedAt)>();
        var subscription = demo.Events.Subscribe(stop.Token);
        var reader = ReadElectionsAsync(subscription, elected.Writer, stop.Token);

        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(portal.Address, DashboardDom.EnsemblePage(Demo)).ToString());
        await page.WaitForSelectorAsync(DashboardDom.Ensemble(Demo) + " [data-leader-id]");
        await page.EvaluateAsync(ObserverScript, Demo);
        var clockBefore = await ClockOffsetAsync(page);
        Report.Progress($"portal on {portal.Address}, Chromium {chromium.Browser.Version}; browser clock − system clock {Ms(clockBefore.Offset)} ms (±{Ms(clockBefore.RoundTrip / 2)})");

        var emitToDom = new List<double>();
        var receiveToDom = new List<double>();
        var emitToReceive = new List<double>();
        var killToEmit = new List<double>();
        var killToDom = new List<double>();
        for (var trial = 1; trial <= trials; trial++)
        {
            var leader = await EnsembleProbe.WaitForAllServingAsync(demo.Backend, Deadline);
            await WaitForPageLeaderAsync(page, leader);
            while (elected.Reader.TryRead(out _))
            {
            }

            await page.EvaluateAsync("() => { window.__qpLeaderMarks.length = 0; }");
            await Task.Delay(phase.NextDouble() * demo.Monitor.Options.ProbeInterval);
            var killedAt = DateTimeOffset.UtcNow;
            await demo.Backend.StopMemberAsync(leader, StopMode.Kill, CancellationToken.None);
            var (election, receivedAt) = await NextElectionAsync(elected.Reader, leader);
            var domAt = await page.WaitForFunctionAsync(
                "id => window.__qpLeaderMarks.find(m => m.id === id)?.at ?? null",
                election.NewLeaderId.ToString(CultureInfo.InvariantCulture),
                new PageWaitForFunctionOptions { Timeout = (float)Deadline.TotalMilliseconds });
            var dom = DateTimeOffset.UnixEpoch.AddTicks((long)(await domAt.JsonValueAsync<double>() * TimeSpan.TicksPerMillisecond));

            emitToDom.Add((dom - election.Timestamp).TotalMilliseconds);
            receiveToDom.Add((dom - receivedAt).TotalMilliseconds);
            emitToReceive.Add((receivedAt - election.Timestamp).TotalMilliseconds);
            killToEmit.Add((election.Timestamp - killedAt).TotalMilliseconds);
            killToDom.Add((dom - killedAt).TotalMilliseconds);
            Report.Progress($"trial {trial}/{trials}: leader {leader} killed, {election.NewLeaderId} elected; kill→event {Ms(killToEmit[^1])} ms, event→DOM {Ms(emitToDom[^1])} ms, kill→DOM {Ms(killToDom[^1])} ms");
            await demo.Backend.StartMemberAsync(leader, CancellationToken.None);
        }

        var clockAfter = await ClockOffsetAsync(page);
        await stop.CancelAsync();
        await reader;

        double[] Sorted(List<double> values) => [.. values.Order()];
        var emit = Sorted(emitToDom);
        var kill = Sorted(killToDom);
        Report.Progress($"event→DOM {Report.Distribution(emit)}");
        Report.Progress($"subscriber receive→DOM {Report.Distribution(Sorted(receiveToDom))}; event timestamp→subscriber receive {Report.Distribution(Sorted(emitToReceive))}");
        Report.Progress($"kill→event {Report.Distribution(Sorted(killToEmit))}");
        Report.Progress($"kill→DOM {Report.Distribution(kill)}");
        Report.Progress($"browser clock − system clock: {Ms(clockBefore.Offset)} ms at the start, {Ms(clockAfter.Offset)} ms at the end");
        Report.Result(Name,
        [
            ("trials", trials),
            ("seed", seed),
            ("probe_ms", demo.Monitor.Options.ProbeInterval.TotalMilliseconds),
            ("tick_ms", demo.Backend.Settings.TickTime),
            ("event_dom_p50_ms", Report.Percentile(emit, 50)),
            ("event_dom_p99_ms", Report.Percentile(emit, 99)),
            ("event_dom_max_ms", Report.Percentile(emit, 100)),
            ("event_receive_max_ms", Sorted(emitToReceive)[^1]),
            ("kill_dom_p50_ms", Report.Percentile(kill, 50)),
            ("kill_dom_p99_ms", Report.Percentile(kill, 99)),
            ("kill_dom_max_ms", Report.Percentile(kill, 100)),
            ("clock_offset_start_ms", clockBefore.Offset),
            ("clock_offset_end_ms", clockAfter.Offset),
        ]);
    }

    private static async Task ReadElectionsAsync(EnsembleSubscription subscription, ChannelWriter<(LeaderElected, DateTimeOffset)> elected, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in subscription.ReadBatchesAsync(cancellationToken))
            {
                var receivedAt = DateTimeOffset.UtcNow;
                foreach (var e in batch.OfType<LeaderElected>())
                {
                    elected.TryWrite((e, receivedAt));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static async Task<(LeaderElected Event, DateTimeOffset ReceivedAt)> NextElectionAsync(ChannelReader<(LeaderElected Event, DateTimeOffset ReceivedAt)> elected, int killed)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        while (true)
        {
            var next = await elected.ReadAsync(timeout.Token);
            if (next.Event.NewLeaderId != killed)
            {
                return next;
            }
        }
    }

    private static async Task WaitForPageLeaderAsync(IPage page, int leader)
    {
        var shows = $"([ensemble, leader]) => (({DashboardDom.SingleLeaderScript})([ensemble, null, 3]) === leader) || null";
        await page.WaitForFunctionAsync(shows, new object[] { Demo, leader }, new PageWaitForFunctionOptions { Timeout = (float)Deadline.TotalMilliseconds });
    }

    /// <summary>
    /// The browser's <c>performance.timeOrigin + performance.now()</c> minus the system's UTC clock at the middle of
    /// the call, from the fastest of 20 round trips.
    /// </summary>
    private static async Task<(double Offset, double RoundTrip)> ClockOffsetAsync(IPage page)
    {
        var best = (Offset: 0.0, RoundTrip: double.MaxValue);
        for (var i = 0; i < 20; i++)
        {
            var before = DateTimeOffset.UtcNow;
            var browser = await page.EvaluateAsync<double>("() => performance.timeOrigin + performance.now()");
            var after = DateTimeOffset.UtcNow;
            var roundTrip = (after - before).TotalMilliseconds;
            if (roundTrip < best.RoundTrip)
            {
                var middle = (before + (after - before) / 2 - DateTimeOffset.UnixEpoch).TotalMilliseconds;
                best = (browser - middle, roundTrip);
            }
        }

        return best;
    }

    private static string Ms(double value) => Report.Format(value);
}
