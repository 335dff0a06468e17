using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;

namespace QuorumPortal.Engine.Workloads;

// The key space: created before the first operation, deleted at the end when asked; and the shutdown.
public sealed partial class WorkloadRunner
{
    /// <summary>Creates in flight at once while setting up or deleting the key space.</summary>
    private const int SetupBatch = 128;

    // The parents of the root this run created, top down; they are deleted with the key space, other parents are not.
    private readonly List<string> _createdParents = [];

    private async Task CreateKeySpaceAsync(CancellationToken cancellationToken)
    {
        var ancestors = new List<string>();
        for (var path = Spec.RootPath; path != ZnodePath.Root; path = ZnodePath.ParentOf(path))
        {
            ancestors.Insert(0, path);
        }

        foreach (var path in ancestors)
        {
            if (await RetryAsync(c => c.CreateAsync(path, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, cancellationToken), CoordinationError.NodeExists, $"create {path}", cancellationToken).ConfigureAwait(false)
                && path != Spec.RootPath)
            {
                _createdParents.Add(path);
            }
        }

        var initial = new byte[Spec.ValueSize];
        await ForEachKeyAsync(path => RetryAsync(c => c.CreateAsync(path, initial, CreateMode.Persistent, cancellationToken), CoordinationError.NodeExists, $"create {path}", cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteKeySpaceAsync(CancellationToken cancellationToken)
    {
        // The keys, then the root (an earlier run may have made it: it is the workload's all the same), then the parents this run made.
        await ForEachKeyAsync(path => RetryAsync(c => c.DeleteAsync(path, -1, cancellationToken), CoordinationError.NoNode, $"delete {path}", cancellationToken), cancellationToken).ConfigureAwait(false);
        foreach (var path in _createdParents.Append(Spec.RootPath).Reverse())
        {
            try
            {
                await RetryAsync(c => c.DeleteAsync(path, -1, cancellationToken), CoordinationError.NoNode, $"delete {path}", cancellationToken).ConfigureAwait(false);
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.NotEmpty)
            {
                // Someone else keeps something there; theirs to delete.
                RecordError($"key space deleted, but {path} was kept: it holds znodes the workload did not create");
                return;
            }
        }
    }

    private async Task ForEachKeyAsync(Func<string, Task> action, CancellationToken cancellationToken)
    {
        for (var first = 0; first < _paths.Length; first += SetupBatch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.WhenAll(_paths.Skip(first).Take(SetupBatch).Select(action)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs a create or delete on any open session until it succeeds: transient errors are counted and retried, and
    /// <paramref name="done"/> (a create finding the node, a delete finding none, perhaps after a retry of a request
    /// that did apply) means there is nothing left to do; any other error ends the run. True when this call did it.
    /// </summary>
    private async Task<bool> RetryAsync(Func<ICoordinationClient, Task> action, CoordinationError done, string what, CancellationToken cancellationToken)
    {
        var delay = _options.RetryDelay;
        while (true)
        {
            var client = await AnySessionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await action(client).ConfigureAwait(false);
                return true;
            }
            catch (CoordinationException e) when (e.Error == done)
            {
                return false;
            }
            catch (Exception e) when (e is CoordinationException { Error: var error } ? IsTransient(error) : e is ObjectDisposedException && !cancellationToken.IsCancellationRequested)
            {
                CountError(e);
                if (e is ObjectDisposedException or CoordinationException { Error: CoordinationError.SessionExpired }
                    && _sessions.FirstOrDefault(s => s.Client == client) is { } session)
                {
                    Reopen(session, client);
                }
            }
            catch (CoordinationException e)
            {
                throw new CoordinationException(e.Error, e.Path, $"cannot {what}; the workload stops", e);
            }

            await PauseAsync(ref delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Errors a retry can outlast: the ensemble is electing, a member went away, or the session must be replaced.</summary>
    private static bool IsTransient(CoordinationError error) => error is CoordinationError.ConnectionLoss or CoordinationError.OperationTimeout
        or CoordinationError.RequestTimeout or CoordinationError.NoQuorum or CoordinationError.SessionExpired or CoordinationError.SessionMoved
        or CoordinationError.Throttled or CoordinationError.NotReadOnly;

    /// <summary>After the schedule has ended: drain, delete the key space when asked, close every session.</summary>
    private async Task ShutdownAsync()
    {
        await WaitForBackgroundAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _inFlight) > 0
            && !await WaitAsync(_drained.Task, _options.DrainTimeout).ConfigureAwait(false))
        {
            await _abandon.CancelAsync().ConfigureAwait(false);
            if (!await WaitAsync(_drained.Task, _options.DrainTimeout).ConfigureAwait(false))
            {
                WorkloadLog.RequestsStuck(_logger, Ensemble, Volatile.Read(ref _inFlight));
            }
        }

        bool delete;
        lock (_gate)
        {
            delete = _deleteKeySpace;
        }

        if (delete)
        {
            await CleanUpAsync().ConfigureAwait(false);
        }

        foreach (var session in _sessions)
        {
            if (Interlocked.Exchange(ref session.Client, null) is { } client)
            {
                await CloseQuietlyAsync(client).ConfigureAwait(false);
            }
        }

        // Sessions replaced while the requests drained are closed in the background; wait for those too.
        await WaitForBackgroundAsync().ConfigureAwait(false);
    }

    private async Task CleanUpAsync()
    {
        using var timeout = new CancellationTokenSource(_options.CleanupTimeout, _time);
        try
        {
            if (!_sessions.Any(s => s.Client is not null))
            {
                // Every session broke (or none had opened): open one for the cleanup.
                var client = await _backend.OpenClientAsync(_options.Client, timeout.Token).ConfigureAwait(false);
                _sessions[0].Client = client;
                _firstSession.TrySetResult();
            }

            await DeleteKeySpaceAsync(timeout.Token).ConfigureAwait(false);
            WorkloadLog.KeySpaceDeleted(_logger, Ensemble, Spec.RootPath);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var why = e is OperationCanceledException ? $"not done within {_options.CleanupTimeout.TotalSeconds:0} s" : e.Message;
            RecordError($"key space {Spec.RootPath} not deleted: {why}");
            WorkloadLog.KeySpaceNotDeleted(_logger, Ensemble, Spec.RootPath, why);
        }
    }

    private async Task<bool> WaitAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout, _time).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
