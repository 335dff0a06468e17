namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>
/// The single thread of control a node runs on. Every callback a node receives (messages, timers,
/// client requests) runs on its loop, one at a time, so node code needs no locks. The same node code
/// runs on <see cref="SimulationScheduler"/> (virtual time, seeded, deterministic) and on
/// <see cref="RealTimeEventLoop"/> (wall-clock time, on threads shared with the other members' loops).
/// </summary>
internal interface IEventLoop
{
    /// <summary>Wall clock for timestamps shown to people (virtual in a simulation).</summary>
    TimeProvider Time { get; }

    /// <summary>Monotonic time for timeouts.</summary>
    TimeSpan Now { get; }

    /// <summary>Runs <paramref name="action"/> on the loop as soon as possible, after what is already queued.</summary>
    void Post(Action action);

    /// <summary>Runs <paramref name="action"/> on the loop after <paramref name="delay"/>; dispose the result to cancel.</summary>
    IDisposable Schedule(TimeSpan delay, Action action);

    /// <summary>Whether the loop has been stopped; a stopped loop drops everything posted or scheduled.</summary>
    bool IsStopped { get; }

    /// <summary>Stops the loop (a crash or a shutdown): queued and future work is dropped.</summary>
    void Stop();

    /// <summary>
    /// Cancelled when the loop stops, so a caller waiting for posted work learns it was dropped
    /// (see <see cref="EventLoopExtensions.InvokeAsync{T}(IEventLoop, Func{T})"/>). A default body keeps
    /// test fakes compiling; loops that cannot tell return <see cref="CancellationToken.None"/>.
    /// </summary>
    CancellationToken Stopped => CancellationToken.None;
}
