namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>One node's view of a <see cref="SimulationScheduler"/>; stopping it silences only this node.</summary>
internal sealed class SimulatedLoop : IEventLoop
{
    private readonly SimulationScheduler _scheduler;
    private readonly CancellationTokenSource _stopped = new();

    internal SimulatedLoop(SimulationScheduler scheduler, string name)
    {
        _scheduler = scheduler;
        Name = name;
    }

    public string Name { get; }

    public TimeProvider Time => _scheduler.Time;

    public TimeSpan Now => _scheduler.Now;

    public bool IsStopped { get; private set; }

    public CancellationToken Stopped => _stopped.Token;

    public void Post(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (!IsStopped)
        {
            _scheduler.Enqueue(this, TimeSpan.Zero, action, null);
        }
    }

    public IDisposable Schedule(TimeSpan delay, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var work = new SimulationScheduler.ScheduledWork(_scheduler, action);
        if (!IsStopped)
        {
            _scheduler.Enqueue(this, delay, null, work);
        }

        return work;
    }

    public void Stop()
    {
        if (IsStopped)
        {
            return;
        }

        // Pending work stays queued and is discarded when it comes up.
        IsStopped = true;
        _stopped.Cancel();
    }

    public override string ToString() => Name;
}
