namespace QuorumPortal.Engine.Embedded.Runtime;

internal static class EventLoopExtensions
{
    /// <summary>
    /// Runs <paramref name="func"/> on the loop and completes with its result, for callers on other
    /// threads. Faults with <see cref="ObjectDisposedException"/> if the loop is or becomes stopped
    /// before the work runs.
    /// </summary>
    public static Task<T> InvokeAsync<T>(this IEventLoop loop, Func<T> func)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(func);

        // Continuations must not run inline on the loop thread: they would block the node.
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (loop.IsStopped)
        {
            completion.SetException(Stopped());
            return completion.Task;
        }

        // Registered before posting so a stop that drops the work still completes the task.
        var registration = loop.Stopped.Register(static state => ((TaskCompletionSource<T>)state!).TrySetException(Stopped()), completion);
        loop.Post(() =>
        {
            registration.Dispose();
            try
            {
                completion.TrySetResult(func());
            }
            catch (Exception e)
            {
                completion.TrySetException(e);
            }
        });

        // A loop without a stop token may have stopped between the check and the post.
        if (loop.IsStopped && !loop.Stopped.CanBeCanceled)
        {
            completion.TrySetException(Stopped());
        }

        return completion.Task;
    }

    /// <summary>Runs <paramref name="action"/> on the loop; see <see cref="InvokeAsync{T}(IEventLoop, Func{T})"/>.</summary>
    public static Task InvokeAsync(this IEventLoop loop, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return loop.InvokeAsync(() =>
        {
            action();
            return true;
        });
    }

    private static ObjectDisposedException Stopped() => new(nameof(IEventLoop), "The event loop is stopped; the work was dropped.");
}
