using System.Buffers;
using QuorumPortal.Engine.Backends;

namespace QuorumPortal.Engine.Workloads;

// One operation: pick a session and a key, read or write, count the outcome.
public sealed partial class WorkloadRunner
{
    private void Issue()
    {
        // Decided on the schedule's thread, in order, so a seed reproduces the sequence of choices.
        var write = _random.NextDouble() < Spec.WriteFraction;
        var path = _paths[_random.Next(_paths.Length)];
        var session = AcquireSession();
        if (session is null)
        {
            Skip(1);
            return;
        }

        Interlocked.Increment(ref _inFlight);
        _ = write ? WriteAsync(session, path) : ReadAsync(session, path);
    }

    private async Task ReadAsync(Session session, string path)
    {
        var client = session.Client;
        var started = _time.GetTimestamp();
        try
        {
            if (client is null)
            {
                throw new ObjectDisposedException(nameof(ICoordinationClient), "the session was closed");
            }

            await client.GetDataAsync(path, _abandon.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _reads);
            Succeeded(session, started, "read");
        }
        catch (Exception e)
        {
            OperationFailed(session, client, e, "read");
        }
        finally
        {
            Release(session);
        }
    }

    private async Task WriteAsync(Session session, string path)
    {
        var client = session.Client;
        var size = Spec.ValueSize;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        var value = buffer.AsMemory(0, size);
        WorkloadValues.Write(value.Span, _nonce, Interlocked.Increment(ref _writeSequence));
        var hash = WorkloadValues.Hash(value.Span);
        var started = _time.GetTimestamp();
        try
        {
            if (client is null)
            {
                throw new ObjectDisposedException(nameof(ICoordinationClient), "the session was closed");
            }

            var stat = await client.SetDataAsync(path, value, -1, _abandon.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _writes);
            _recorder.Acknowledged(new AcknowledgedWrite(path, stat.Version, stat.Mzxid, hash, client.SessionId, _time.GetUtcNow()));
            Succeeded(session, started, "write");
        }
        catch (Exception e)
        {
            // Sent but unanswered: the ensemble may have applied it.
            if (client is not null && e is OperationCanceledException or ObjectDisposedException or CoordinationException { OutcomeUnknown: true })
            {
                _recorder.OutcomeUnknown(path, hash);
            }

            OperationFailed(session, client, e, "write");
        }
        finally
        {
            // Both clients are done with the bytes once the call has completed.
            ArrayPool<byte>.Shared.Return(buffer);
            Release(session);
        }
    }

    private void Succeeded(Session session, long started, string operation)
    {
        _latency.Record(_time.GetElapsedTime(started));
        session.Suspect = false;
        _metrics.Completed(operation, "ok");
    }

    private void OperationFailed(Session session, ICoordinationClient? client, Exception e, string operation)
    {
        if (e is OperationCanceledException && _abandon.IsCancellationRequested)
        {
            // Abandoned by a stop: neither an error of the ensemble's nor a success.
            return;
        }

        CountError(e);
        _metrics.Completed(operation, e is CoordinationException c ? c.Error.ToString() : "other");

        // Until a request succeeds again, this session carries one request at a time, so a session that is
        // reconnecting (or whose member is stuck) does not collect a pile of requests that will all fail.
        session.Suspect = true;
        if (client is not null && e is ObjectDisposedException or CoordinationException { Error: CoordinationError.SessionExpired or CoordinationError.AuthFailed })
        {
            Reopen(session, client);
        }
    }

    private void CountError(Exception e)
    {
        if (e is CoordinationException c)
        {
            _errorsByCode.AddOrUpdate(c.Error, 1, (_, n) => n + 1);
        }
        else
        {
            Interlocked.Increment(ref _otherErrors);
        }

        RecordError(e is CoordinationException ? e.Message : $"{e.GetType().Name}: {e.Message}");
    }

    private void Release(Session session)
    {
        Interlocked.Decrement(ref session.InFlight);
        if (Interlocked.Decrement(ref _inFlight) == 0 && _stopping.IsCancellationRequested)
        {
            _drained.TrySetResult();
        }
    }
}
