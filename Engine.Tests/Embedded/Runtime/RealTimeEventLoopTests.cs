using System.Collections.Concurrent;
using QuorumPortal.Engine.Embedded.Runtime;

namespace QuorumPortal.Engine.Tests.Embedded.Runtime;

public sealed class RealTimeEventLoopTests
{
    // Generous: only reached when something is broken, never waited out on success.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Post_ManyActions_RunInOrderOnTheLoopThread()
    {
        using var loop = new RealTimeEventLoop("test-loop");
        var seen = new List<int>();
        var offThread = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int count = 100_000;

        for (var i = 0; i < count; i++)
        {
            var value = i;
            loop.Post(() =>
            {
                if (!loop.IsOnLoopThread)
                {
                    offThread++;
                }

                seen.Add(value);
                if (value == count - 1)
                {
                    done.SetResult();
                }
            });
        }

        await done.Task.WaitAsync(Timeout);
        Assert.Equal(Enumerable.Range(0, count), seen);
        Assert.Equal(0, offThread);
    }

    [Fact]
    public async Task Schedule_DifferentDelays_FireInDueOrder()
    {
        using var loop = new RealTimeEventLoop("test-loop");
        var order = new ConcurrentQueue<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        loop.Schedule(TimeSpan.FromMilliseconds(60), () =>
        {
            order.Enqueue("60");
            done.SetResult();
        });
        loop.Schedule(TimeSpan.FromMilliseconds(20), () => order.Enqueue("20"));
        loop.Schedule(TimeSpan.FromMilliseconds(40), () => order.Enqueue("40"));
        var cancelled = loop.Schedule(TimeSpan.FromMilliseconds(30), () => order.Enqueue("cancelled"));
        loop.Schedule(TimeSpan.Zero, () => order.Enqueue("0"));
        cancelled.Dispose();

        await done.Task.WaitAsync(Timeout);
        Assert.Equal(["0", "20", "40", "60"], order);
    }

    [Fact]
    public async Task Schedule_FromLoopThread_FiresAfterDelay()
    {
        using var loop = new RealTimeEventLoop("test-loop");
        var fired = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var scheduledAt = await loop.InvokeAsync(() =>
        {
            loop.Schedule(TimeSpan.FromMilliseconds(30), () => fired.SetResult(loop.Now));
            return loop.Now;
        });

        var firedAt = await fired.Task.WaitAsync(Timeout);
        Assert.True(firedAt - scheduledAt >= TimeSpan.FromMilliseconds(30), $"fired after {firedAt - scheduledAt}");
    }

    [Fact]
    public async Task Post_ActionThrows_ErrorIsReportedAndLoopCarriesOn()
    {
        var errors = new ConcurrentQueue<Exception>();
        using var loop = new RealTimeEventLoop("test-loop", onError: errors.Enqueue);

        loop.Post(() => throw new InvalidOperationException("boom"));
        loop.Schedule(TimeSpan.FromMilliseconds(1), () => throw new InvalidOperationException("timer boom"));
        await Task.WhenAll(
            loop.InvokeAsync(() => 1),
            WaitForTimer(loop, TimeSpan.FromMilliseconds(5))).WaitAsync(Timeout);

        Assert.Equal(["boom", "timer boom"], errors.Select(e => e.Message));
        Assert.False(loop.IsStopped);
    }

    [Fact]
    public async Task Stop_FromInsideAnAction_EndsTheLoopAndDropsQueuedWork()
    {
        var loop = new RealTimeEventLoop("test-loop");
        var ranAfterStop = false;
        var gate = new ManualResetEventSlim();
        loop.Post(() => gate.Wait());
        loop.Post(loop.Stop);
        loop.Post(() => ranAfterStop = true);
        gate.Set();

        await loop.Completion.WaitAsync(Timeout);
        loop.Post(() => ranAfterStop = true);
        loop.Dispose();

        Assert.True(loop.IsStopped);
        Assert.False(ranAfterStop);
    }

    [Fact]
    public async Task Dispose_FromAnotherThread_WaitsForTheThreadToExit()
    {
        var loop = new RealTimeEventLoop("test-loop");
        await loop.InvokeAsync(() => 0).WaitAsync(Timeout);

        loop.Dispose();

        Assert.True(loop.Completion.IsCompleted);
    }

    [Fact]
    public async Task InvokeAsync_FromAnotherThread_ReturnsTheResultComputedOnTheLoop()
    {
        using var loop = new RealTimeEventLoop("test-loop");

        var (onLoop, value) = await loop.InvokeAsync(() => (loop.IsOnLoopThread, 42)).WaitAsync(Timeout);

        Assert.True(onLoop);
        Assert.Equal(42, value);
    }

    [Fact]
    public async Task InvokeAsync_FuncThrows_TaskFaultsWithTheException()
    {
        using var loop = new RealTimeEventLoop("test-loop");

        var task = loop.InvokeAsync<int>(() => throw new InvalidOperationException("boom"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => task.WaitAsync(Timeout));
        Assert.Equal("boom", error.Message);
    }

    [Fact]
    public async Task InvokeAsync_LoopStoppedWhileQueued_Faults()
    {
        var loop = new RealTimeEventLoop("test-loop");
        var gate = new ManualResetEventSlim();
        loop.Post(() => gate.Wait());

        var queued = loop.InvokeAsync(() => 1);
        loop.Stop();
        gate.Set();
        var afterStop = loop.InvokeAsync(() => 2);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued.WaitAsync(Timeout));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => afterStop.WaitAsync(Timeout));
        loop.Dispose();
    }

    private static Task WaitForTimer(IEventLoop loop, TimeSpan delay)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Schedule(delay, fired.SetResult);
        return fired.Task;
    }
}
