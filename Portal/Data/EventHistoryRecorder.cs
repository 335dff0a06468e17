using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Hosting;

namespace QuorumPortal.Portal.Data;

/// <summary>
/// Subscribes to every ensemble's event stream — those there at start and each one created later — and appends the
/// events the history keeps (<see cref="RecordedEvent.IsKept"/>: no samples, no operation progress), one write per batch.
/// </summary>
public sealed partial class EventHistoryRecorder(EnsembleEventStreams streams, IEventHistory history, ILogger<EventHistoryRecorder> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Once _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Task> _readers = [];
    private readonly HashSet<string> _watched = new(StringComparer.Ordinal);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Listen first, then look: a stream created in between is seen twice, and watched once.
        streams.StreamAdded += Watch;
        foreach (var name in streams.Ensembles)
        {
            if (streams.TryGet(name, out var stream))
            {
                Watch(stream);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _stop.RunAsync(async () =>
    {
        streams.StreamAdded -= Watch;
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] readers;
        lock (_gate)
        {
            readers = [.. _readers];
        }

        await Task.WhenAll(readers).WaitAsync(cancellationToken).ConfigureAwait(false);
    });

    private void Watch(EnsembleEventStream stream)
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested || !_watched.Add(stream.Ensemble))
            {
                return;
            }

            // Subscribed here, synchronously, so nothing published after the stream was created is missed.
            var subscription = stream.Subscribe(_stopping.Token);
            _readers.Add(Task.Run(() => RecordAsync(stream.Ensemble, subscription), CancellationToken.None));
        }
    }

    private async Task RecordAsync(string ensemble, EnsembleSubscription subscription)
    {
        try
        {
            await foreach (var batch in subscription.ReadBatchesAsync(_stopping.Token).ConfigureAwait(false))
            {
                var kept = batch.Select(RecordedEvent.From).OfType<RecordedEvent>().ToList();
                try
                {
                    await history.AppendAsync(kept, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    LogAppendFailed(logger, e, kept.Count, ensemble);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        finally
        {
            lock (_gate)
            {
                _watched.Remove(ensemble);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Error, "Could not append {Count} events of {Ensemble} to the history")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, int count, string ensemble);
}
