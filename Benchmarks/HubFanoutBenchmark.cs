using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Portal.Hubs;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// <see cref="EnsembleHub"/> fan-out: N SignalR clients (WebSockets over loopback) joined to one ensemble, while
/// synthetic events are published into that ensemble's Engine stream at a fixed rate. Measures, per delivered
/// event, the time from <see cref="EnsembleEventStream.Publish"/> to the client's handler, and the events per
/// second delivered in total. Server (Kestrel, the hub, a real embedded 3-member ensemble) and clients share
/// this process and its clock.
/// </summary>
/// <remarks>
/// Options: <c>--clients</c> (default 500), <c>--rate</c> events/s (default 20), <c>--seconds</c> measured
/// (default 30), <c>--warmup</c> s (default 5).
/// </remarks>
internal static class HubFanoutBenchmark
{
    private const string Name = "hub-fanout";
    private const string Ensemble = "bench";

    public static async Task RunAsync(BenchmarkArgs args)
    {
        var clients = args.GetInt("clients", 500);
        var rate = args.GetInt("rate", 20);
        var seconds = args.GetInt("seconds", 30);
        var warmup = args.GetInt("warmup", 5);
        if (clients < 1 || rate < 1 || seconds < 1 || warmup < 0)
        {
            throw new ArgumentException("--clients, --rate and --seconds must be at least 1, --warmup at least 0");
        }

        await using var app = await StartPortalHubAsync();
        var registry = app.Services.GetRequiredService<EnsembleRegistry>();
        var ensemble = await registry.AddAsync(new EmbeddedEnsemble(EnsembleSpec.OfSize(Ensemble, 3, EnsembleSettings.Fast)), CancellationToken.None);
        await ensemble.Backend.WaitForAsync(s => s.HasQuorum, TimeSpan.FromSeconds(30));
        await ensemble.Monitor.ProbeOnceAsync(CancellationToken.None); // a snapshot to republish with each synthetic event

        var url = new Uri(new Uri(app.Urls.First()), EnsembleHub.Path);
        var warmupEvents = warmup * rate;
        var total = warmupEvents + seconds * rate;
        var published = new long[total];
        var latency = new LatencyRecorder();
        long delivered = 0;
        long unexpected = 0;

        Report.Progress($"connecting {clients} clients to {url}");
        var connections = await ConnectAsync(url, clients, evt =>
        {
            // Synthetic events carry their sequence number; the monitor's own (one round a minute) are skipped.
            if (evt is not ThroughputSampleDto { IntervalMs: 0 } sample)
            {
                return;
            }

            var seq = (int)sample.ReadsPerSecond;
            if (seq < 0 || seq >= total || Volatile.Read(ref published[seq]) == 0)
            {
                Interlocked.Increment(ref unexpected);
                return;
            }

            if (seq >= warmupEvents)
            {
                latency.Add(Stopwatch.GetTimestamp() - published[seq]);
                Interlocked.Increment(ref delivered);
            }
        });
        var fanout = app.Services.GetRequiredService<EnsembleHubFanout>();
        Report.Progress($"{fanout.JoinedCount(Ensemble)} joined; publishing {rate} events/s for {warmup} s warm-up + {seconds} s");

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var gcBefore = GcSnapshot.Take();
        var measuredFrom = 0L;
        using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / rate)))
        {
            for (var seq = 0; seq < total; seq++)
            {
                await timer.WaitForNextTickAsync();
                if (seq == warmupEvents)
                {
                    measuredFrom = Stopwatch.GetTimestamp();
                    cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                    gcBefore = GcSnapshot.Take();
                }

                var sample = new ThroughputSample(Ensemble, TimeProvider.System.GetUtcNow(), seq, 0, 0, 0, TimeSpan.Zero);
                Volatile.Write(ref published[seq], Stopwatch.GetTimestamp());
                ensemble.Events.Publish(ensemble.Events.Current!, [sample]);
            }
        }

        // From the first measured publish to one interval after the last.
        var publishedFor = Stopwatch.GetElapsedTime(measuredFrom) + TimeSpan.FromSeconds(1.0 / rate);
        var expected = (long)(total - warmupEvents) * clients;
        var drain = Stopwatch.StartNew();
        while (Interlocked.Read(ref delivered) < expected && drain.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20); // pacing the check only; the figure is the events' own latency
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var gc = GcSnapshot.Take().Since(gcBefore);
        var sorted = latency.SortedMilliseconds();
        var perSecond = delivered / publishedFor.TotalSeconds;
        Report.Progress($"{clients} clients, {rate} events/s for {publishedFor.TotalSeconds:0.0} s: delivered {delivered:N0} of {expected:N0} ({perSecond:N0}/s), publish to handler {Report.Distribution(sorted)}");
        Report.Progress($"process CPU {cpu.TotalMilliseconds / publishedFor.TotalSeconds:0} ms/s (server and clients together), {gc}; slow clients dropped: {fanout.SlowClientsDropped}; unexpected events {unexpected}");

        await Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask()));
        await registry.StopAsync(CancellationToken.None);
        Report.Result(Name,
        [
            ("clients", clients), ("rate", rate), ("seconds", seconds),
            ("expected", expected), ("delivered", delivered), ("delivered_per_s", perSecond),
            ("p50_ms", Report.Percentile(sorted, 50)), ("p99_ms", Report.Percentile(sorted, 99)), ("max_ms", Report.Percentile(sorted, 100)),
            ("cpu_ms_per_s", cpu.TotalMilliseconds / publishedFor.TotalSeconds), ("dropped_clients", fanout.SlowClientsDropped),
        ]);
    }

    /// <summary>Kestrel on a loopback port with the registry and the hub as the portal wires them, without pages.</summary>
    private static async Task<WebApplication> StartPortalHubAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new EnsembleEventStreams());
        builder.Services.AddSingleton(sp => new EnsembleRegistry(
            sp.GetRequiredService<EnsembleEventStreams>(),
            new EnsembleMonitorOptions { ProbeInterval = TimeSpan.FromMinutes(1) }, // quiet: the benchmark publishes the events
            TimeProvider.System,
            sp.GetRequiredService<ILoggerFactory>()));
        builder.AddEnsembleHub();
        var app = builder.Build();
        app.MapEnsembleHub();
        await app.StartAsync();
        return app;
    }

    private static async Task<List<HubConnection>> ConnectAsync(Uri url, int count, Action<EnsembleEventDto> received)
    {
        var connections = new List<HubConnection>(count);
        for (var start = 0; start < count; start += 50)
        {
            var wave = Enumerable.Range(start, Math.Min(50, count - start)).Select(async _ =>
            {
                var connection = new HubConnectionBuilder()
                    .WithUrl(url, o =>
                    {
                        o.Transports = HttpTransportType.WebSockets;
                        o.SkipNegotiation = true;
                    })
                    .AddJsonProtocol(o => EnsembleHubJson.Configure(o.PayloadSerializerOptions))
                    .Build();
                connection.On<EnsembleEventBatchDto>(nameof(IEnsembleClient.EventsReceived), batch =>
                {
                    foreach (var e in batch.Events)
                    {
                        received(e);
                    }
                });
                await connection.StartAsync();
                await connection.InvokeAsync<object>(nameof(EnsembleHub.JoinEnsemble), Ensemble);
                return connection;
            });
            connections.AddRange(await Task.WhenAll(wave));
        }

        return connections;
    }
}
