using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Portal.Api;

namespace QuorumPortal.Portal.Hubs;

/// <summary>
/// Delivers every ensemble's events to the hub connections joined to it. The first join of an ensemble subscribes
/// to its event stream (so ensembles registered later are covered with no registry callback); that one subscription
/// serves every connection joined to it. Each connection has its own bounded outbox, so a slow one never holds up
/// the others; SignalR's own group send would wait for the slowest connection before the next batch.
/// </summary>
public sealed partial class EnsembleHubFanout : IHostedService, IDisposable
{
    public const string MeterName = "QuorumPortal.Portal.Hubs";

    private readonly ConcurrentDictionary<string, HubClientOutbox> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, EnsembleFeed> _feeds = new(StringComparer.Ordinal);
    private readonly List<Task> _pumps = [];
    private readonly Lock _feedsLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly IOptions<EnsembleHubOptions> _options;
    private readonly ILogger _logger;
    private readonly Meter? _ownedMeter;
    private readonly Counter<long> _messagesPosted;
    private readonly Counter<long> _slowClientsDropped;
    private int _disposed;
    private long _slowClientsDroppedTotal;

    public EnsembleHubFanout(IOptions<EnsembleHubOptions> options, ILogger<EnsembleHubFanout> logger, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        // Read when a client connects, not here: SignalR builds this while mapping the hub, before the options are validated at start.
        _options = options;
        _logger = logger;
        var meter = meterFactory?.Create(MeterName) ?? (_ownedMeter = new Meter(MeterName));
        _messagesPosted = meter.CreateCounter<long>("quorumportal.hub.messages_posted", "{message}", "Event batches posted to joined connections.");
        _slowClientsDropped = meter.CreateCounter<long>("quorumportal.hub.slow_clients_dropped", "{connection}", "Connections aborted because their outbox was full.");
    }

    /// <summary>Connections aborted so far because they fell <see cref="EnsembleHubOptions.MaxPendingBatches"/> behind.</summary>
    public long SlowClientsDropped => Interlocked.Read(ref _slowClientsDroppedTotal);

    /// <summary>Connections joined to <paramref name="ensemble"/>.</summary>
    public int JoinedCount(string ensemble) => _feeds.TryGetValue(ensemble, out var feed) ? feed.Count : 0;

    /// <summary>
    /// Joins the connection to <paramref name="ensemble"/> and returns its current snapshot. The connection is in
    /// the feed before the snapshot is read, so an event published after the snapshot always reaches it; one
    /// published just before may reach it too (a duplicate, never a gap).
    /// </summary>
    public EnsembleDto Join(string connectionId, RegisteredEnsemble ensemble)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        if (!_connections.TryGetValue(connectionId, out var outbox))
        {
            throw new InvalidOperationException($"Connection {connectionId} is not known to the fan-out; is {nameof(EnsembleHubLifetimeManager)} registered?");
        }

        EnsembleFeed feed;
        while (!(feed = FeedOf(ensemble)).TryAdd(outbox))
        {
            // That feed just ended (its stream was replaced); the next one subscribes afresh.
        }

        // A disconnect closes the outbox before it leaves the feeds; if it raced past this join, undo the join.
        if (outbox.IsClosed)
        {
            feed.Remove(connectionId);
        }

        return EnsembleDto.From(ensemble);
    }

    /// <summary>Stops delivering <paramref name="ensemble"/> to the connection; false if it was not joined.</summary>
    public bool Leave(string connectionId, string ensemble) =>
        _feeds.TryGetValue(ensemble, out var feed) && feed.Remove(connectionId);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Ends every subscription and waits for the feeds to stop.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] pumps;
        lock (_feedsLock)
        {
            _stopping.Cancel();
            pumps = [.. _pumps];
        }

        await Task.WhenAll(pumps).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        // The container disposes this twice: as itself and as the hosted service it also is.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Cancelled, never disposed: under WebApplicationFactory the program's own Run disposes the host while the
        // factory is still stopping it, so StopAsync may come after this. The source holds no timer, so nothing leaks.
        lock (_feedsLock)
        {
            _stopping.Cancel();
        }

        _ownedMeter?.Dispose();
    }

    internal void Connected(HubConnectionContext connection) =>
        _connections[connection.ConnectionId] = new HubClientOutbox(connection, _options.Value.MaxPendingBatches, Overflowed);

    internal void Disconnected(HubConnectionContext connection)
    {
        if (_connections.TryRemove(connection.ConnectionId, out var outbox))
        {
            outbox.Close();
        }

        foreach (var feed in _feeds.Values)
        {
            feed.Remove(connection.ConnectionId);
        }
    }

    private EnsembleFeed FeedOf(RegisteredEnsemble ensemble)
    {
        lock (_feedsLock)
        {
            if (_stopping.IsCancellationRequested)
            {
                throw new HubException("The portal is stopping.");
            }

            if (_feeds.TryGetValue(ensemble.Name, out var existing) && !existing.IsClosed)
            {
                return existing;
            }

            var feed = new EnsembleFeed(ensemble.Name, ensemble.Events.Subscribe(_stopping.Token));
            _feeds[ensemble.Name] = feed;
            _pumps.RemoveAll(t => t.IsCompleted);
            _pumps.Add(Task.Run(() => feed.RunAsync(
                count => _messagesPosted.Add(count, new KeyValuePair<string, object?>("ensemble", feed.Ensemble)),
                e => LogBatchFailed(_logger, feed.Ensemble, e),
                _stopping.Token)));
            LogSubscribed(_logger, ensemble.Name);
            return feed;
        }
    }

    private void Overflowed(HubClientOutbox outbox)
    {
        _slowClientsDropped.Add(1);
        Interlocked.Increment(ref _slowClientsDroppedTotal);
        LogSlowClientDropped(_logger, outbox.ConnectionId, _options.Value.MaxPendingBatches);
        foreach (var feed in _feeds.Values)
        {
            feed.Remove(outbox.ConnectionId);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Hub subscribed to the events of ensemble {Ensemble}")]
    private static partial void LogSubscribed(ILogger logger, string ensemble);

    [LoggerMessage(2, LogLevel.Warning, "Hub connection {ConnectionId} disconnected: {MaxPendingBatches} batches were waiting behind a write it did not take")]
    private static partial void LogSlowClientDropped(ILogger logger, string connectionId, int maxPendingBatches);

    [LoggerMessage(3, LogLevel.Error, "Hub could not send a batch of ensemble {Ensemble}")]
    private static partial void LogBatchFailed(ILogger logger, string ensemble, Exception exception);
}
