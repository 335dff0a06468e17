using QuorumPortal.Engine.Backends;

namespace QuorumPortal.Engine.Workloads;

// The sessions: opened in the background, reopened when one expires, closed at the end.
public sealed partial class WorkloadRunner
{
    private readonly Session[] _sessions;
    private readonly List<Task> _background = [];
    private readonly TaskCompletionSource _firstSession = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sessionsReopened;
    private int _nextSession;

    /// <summary>The next session, round robin, that can take a request now; null when none can.</summary>
    private Session? AcquireSession()
    {
        for (var i = 0; i < _sessions.Length; i++)
        {
            var session = _sessions[(int)((uint)_nextSession++ % (uint)_sessions.Length)];
            if (session.Client is null)
            {
                continue;
            }

            var limit = session.Suspect ? 1 : _options.MaxInFlightPerSession;
            if (Interlocked.Increment(ref session.InFlight) <= limit)
            {
                return session;
            }

            Interlocked.Decrement(ref session.InFlight);
        }

        return null;
    }

    /// <summary>Opens <paramref name="session"/>, retrying with a growing pause until it opens or the run stops.</summary>
    private async Task OpenSessionAsync(Session session, bool reopen)
    {
        var token = _stopping.Token;
        var delay = _options.RetryDelay;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var client = await _backend.OpenClientAsync(_options.Client, token).ConfigureAwait(false);
                session.Suspect = false;
                session.Client = client;
                if (token.IsCancellationRequested)
                {
                    // A stop began while it opened; the shutdown may already have collected the clients.
                    session.Client = null;
                    await CloseQuietlyAsync(client).ConfigureAwait(false);
                    return;
                }

                _firstSession.TrySetResult();
                if (reopen)
                {
                    Interlocked.Increment(ref _sessionsReopened);
                    _metrics.SessionReopened();
                    WorkloadLog.SessionReopened(_logger, Ensemble, session.Index, client.SessionId);
                }

                return;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                CountError(e);
                WorkloadLog.SessionOpenFailed(_logger, Ensemble, session.Index, e.Message);
            }

            await PauseAsync(ref delay, token).ConfigureAwait(false);
        }
    }

    /// <summary>Replaces a session that expired or was closed; only the first of several failing requests does it.</summary>
    private void Reopen(Session session, ICoordinationClient broken)
    {
        if (Interlocked.CompareExchange(ref session.Client, null, broken) != broken)
        {
            return;
        }

        Track(CloseQuietlyAsync(broken));
        if (!_stopping.IsCancellationRequested)
        {
            Track(OpenSessionAsync(session, reopen: true));
        }
    }

    /// <summary>Waits for the first open session (during setup, while the others may still be opening).</summary>
    private async Task<ICoordinationClient> AnySessionAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _firstSession.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            var open = _sessions.Select(s => s.Client).FirstOrDefault(c => c is not null);
            if (open is not null)
            {
                return open;
            }

            // Every session broke since; wait a moment for a reopen.
            var delay = _options.RetryDelay;
            await PauseAsync(ref delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Track(Task task)
    {
        lock (_background)
        {
            _background.RemoveAll(t => t.IsCompleted);
            _background.Add(task);
        }
    }

    private async Task WaitForBackgroundAsync()
    {
        Task[] tasks;
        lock (_background)
        {
            tasks = [.. _background];
        }

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            RecordError($"closing a session: {e.Message}");
        }
    }

    /// <summary>Pauses for <paramref name="delay"/> and doubles it for next time, up to the maximum.</summary>
    private Task PauseAsync(ref TimeSpan delay, CancellationToken cancellationToken)
    {
        var pause = Task.Delay(delay, _time, cancellationToken);
        delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
        return pause;
    }

    private static async Task CloseQuietlyAsync(ICoordinationClient client)
    {
        try
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is CoordinationException or ObjectDisposedException or TimeoutException or OperationCanceledException or IOException)
        {
            // The session expires on its own.
        }
    }

    /// <summary>One client session of the workload. Fields, not properties, for Interlocked.</summary>
    private sealed class Session(int index)
    {
        public int Index { get; } = index;

        public ICoordinationClient? Client;

        public int InFlight;

        /// <summary>Its last request failed: it takes one request at a time until one succeeds.</summary>
        public volatile bool Suspect;
    }
}
