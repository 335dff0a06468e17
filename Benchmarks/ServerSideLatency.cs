using System.Diagnostics;
using QuorumPortal.Engine.Embedded;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// Every request's latency as its member counts it (from the request reaching the member to the reply leaving it,
/// ZooKeeper's <c>zk_max_latency</c> view), next to the client-observed one: the difference is the client's side
/// (posting to the member's loop, completing the caller's task on the thread pool).
/// </summary>
internal sealed class ServerSideLatency : IDisposable
{
    private readonly EmbeddedEnsemble _ensemble;
    private readonly LatencyRecorder _recorder = new();

    public ServerSideLatency(EmbeddedEnsemble ensemble)
    {
        _ensemble = ensemble;
        Observe(elapsed => _recorder.Add(elapsed.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond));
    }

    public double[] SortedMilliseconds() => _recorder.SortedMilliseconds();

    public void Dispose() => Observe(null);

    private void Observe(Action<TimeSpan>? observer)
    {
        foreach (var member in _ensemble.Members)
        {
            if (_ensemble.RunningPeer(member.ServerId) is { } peer)
            {
                peer.RequestLatencyObserver = observer;
            }
        }
    }
}
