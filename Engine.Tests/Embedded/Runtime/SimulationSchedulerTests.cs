using QuorumPortal.Engine.Embedded.Runtime;

namespace QuorumPortal.Engine.Tests.Embedded.Runtime;

public sealed class SimulationSchedulerTests
{
    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Fact]
    public void RunNext_MixedDueTimes_RunsByTimeThenFifo()
    {
        var sim = new SimulationScheduler(1);
        var loop = sim.CreateLoop();
        var other = sim.CreateLoop();
        var order = new List<string>();

        loop.Schedule(Ms(5), () => order.Add("a@5"));
        loop.Post(() => order.Add("b@0"));
        other.Schedule(Ms(5), () => order.Add("c@5"));
        loop.Schedule(Ms(1), () => order.Add("d@1"));
        other.Post(() => order.Add("e@0"));
        loop.Schedule(TimeSpan.Zero, () => order.Add("f@0"));

        while (sim.RunNext())
        {
        }

        Assert.Equal(["b@0", "e@0", "f@0", "d@1", "a@5", "c@5"], order);
        Assert.Equal(Ms(5), sim.Now);
        Assert.Equal(6, sim.ExecutedCount);
    }

    [Fact]
    public void RunNext_WorkSchedulesMore_TimeAdvancesWithEachItem()
    {
        var sim = new SimulationScheduler(1);
        var loop = sim.CreateLoop();
        var seen = new List<TimeSpan>();
        loop.Schedule(Ms(2), () =>
        {
            seen.Add(loop.Now);
            loop.Schedule(Ms(3), () => seen.Add(loop.Now));
        });

        sim.RunFor(Ms(100));

        Assert.Equal([Ms(2), Ms(5)], seen);
        Assert.Equal(Ms(100), sim.Now);
    }

    [Fact]
    public void Stop_PendingAndFutureWork_IsDroppedWithoutAffectingOtherLoops()
    {
        var sim = new SimulationScheduler(1);
        var crashed = sim.CreateLoop();
        var healthy = sim.CreateLoop();
        var ran = new List<string>();
        crashed.Post(() => ran.Add("crashed post"));
        crashed.Schedule(Ms(1), () => ran.Add("crashed timer"));
        healthy.Schedule(Ms(2), () => ran.Add("healthy timer"));

        crashed.Stop();
        crashed.Post(() => ran.Add("crashed after stop"));
        crashed.Schedule(Ms(1), () => ran.Add("crashed timer after stop"));
        sim.RunFor(Ms(10));

        Assert.True(crashed.IsStopped);
        Assert.Equal(["healthy timer"], ran);
        Assert.Equal(1, sim.ExecutedCount);
    }

    [Fact]
    public void Schedule_Disposed_DoesNotRun()
    {
        var sim = new SimulationScheduler(1);
        var loop = sim.CreateLoop();
        var ran = false;
        var timer = loop.Schedule(Ms(1), () => ran = true);

        timer.Dispose();
        sim.RunFor(Ms(10));

        Assert.False(ran);
    }

    [Fact]
    public void Schedule_ManyCancelled_QueueIsCompacted()
    {
        var sim = new SimulationScheduler(1);
        var loop = sim.CreateLoop();

        // A node re-arming a long timeout on every message must not grow the queue without bound.
        for (var i = 0; i < 100_000; i++)
        {
            loop.Schedule(TimeSpan.FromSeconds(30), () => { }).Dispose();
        }

        Assert.True(sim.PendingCount < 5_000, $"{sim.PendingCount} items still queued");
    }

    [Fact]
    public void RunUntil_ConditionMet_StopsRightAfterTheItemThatMetIt()
    {
        var sim = new SimulationScheduler(1);
        var loop = sim.CreateLoop();
        var count = 0;
        for (var i = 1; i <= 3; i++)
        {
            loop.Schedule(Ms(i), () => count++);
        }

        var met = sim.RunUntil(() => count == 2, Ms(10));

        Assert.True(met);
        Assert.Equal(2, count);
        Assert.Equal(Ms(2), sim.Now);
    }

    [Fact]
    public void RunUntil_DeadlinePasses_ReturnsFalseAtDeadlineLeavingLaterWork()
    {
        var sim = new SimulationScheduler(1);
        var loop = sim.CreateLoop();
        var late = false;
        loop.Schedule(Ms(20), () => late = true);

        var met = sim.RunUntil(() => late, Ms(10));

        Assert.False(met);
        Assert.False(late);
        Assert.Equal(Ms(10), sim.Now);
        Assert.True(sim.RunUntil(() => late, Ms(30)));
        Assert.Equal(Ms(20), sim.Now);
    }

    [Fact]
    public void RunNext_ActionThrows_ExceptionPropagates()
    {
        var sim = new SimulationScheduler(1);
        var loop = sim.CreateLoop();
        loop.Post(() => throw new InvalidOperationException("boom"));
        loop.Post(() => { });

        Assert.Throws<InvalidOperationException>(() => sim.RunNext());
        Assert.True(sim.RunNext());
    }

    [Fact]
    public void Time_VirtualTimeAdvances_WallClockAndTimestampsFollow()
    {
        var sim = new SimulationScheduler(1);
        var start = sim.Time.GetUtcNow();
        var timestamp = sim.Time.GetTimestamp();

        sim.RunFor(TimeSpan.FromSeconds(90));

        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), start);
        Assert.Equal(start + TimeSpan.FromSeconds(90), sim.Time.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(90), sim.Time.GetElapsedTime(timestamp));
    }

    [Fact]
    public void TimeProviderTimer_Periodic_FiresInVirtualTime()
    {
        var sim = new SimulationScheduler(1);
        var fired = new List<TimeSpan>();
        using var timer = sim.Time.CreateTimer(_ => fired.Add(sim.Now), null, Ms(10), Ms(5));

        sim.RunFor(Ms(21));

        Assert.Equal([Ms(10), Ms(15), Ms(20)], fired);
    }

    [Fact]
    public async Task InvokeAsync_SimulatedLoop_CompletesWhenTheSimulationRunsIt()
    {
        var sim = new SimulationScheduler(1);
        var loop = sim.CreateLoop();

        var task = loop.InvokeAsync(() => 42);
        Assert.False(task.IsCompleted);
        sim.RunNext();

        Assert.True(task.IsCompletedSuccessfully);
        Assert.Equal(42, await task);
    }

    [Fact]
    public void InvokeAsync_LoopStoppedBeforeItRuns_Faults()
    {
        var sim = new SimulationScheduler(1);
        var loop = sim.CreateLoop();

        var task = loop.InvokeAsync(() => 42);
        loop.Stop();

        Assert.True(task.IsFaulted);
        Assert.IsType<ObjectDisposedException>(task.Exception!.InnerException);
    }
}
