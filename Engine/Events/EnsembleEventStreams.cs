using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;

namespace QuorumPortal.Engine.Events;

/// <summary>The event streams of every ensemble, by name, so monitors publish and pages subscribe without knowing each other.</summary>
public sealed class EnsembleEventStreams(int sampleCapacity = EnsembleEventStream.DefaultSampleCapacity, IMeterFactory? meterFactory = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<EnsembleEventStream>> _streams = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Ensembles => [.. _streams.Keys];

    /// <summary>
    /// Raised once per new stream, before <see cref="GetOrAdd"/> returns it, so a listener that subscribes in the
    /// handler sees everything ever published to it (a monitor's first round included). Handlers must not block or
    /// throw: an exception would stay cached in the stream's lazy creation.
    /// </summary>
    public event Action<EnsembleEventStream>? StreamAdded;

    /// <summary>The stream of <paramref name="ensemble"/>, created on first use.</summary>
    public EnsembleEventStream GetOrAdd(string ensemble) =>
        _streams.GetOrAdd(ensemble, name => new Lazy<EnsembleEventStream>(() => Create(name))).Value;

    public bool TryGet(string ensemble, [NotNullWhen(true)] out EnsembleEventStream? stream)
    {
        if (_streams.TryGetValue(ensemble, out var lazy))
        {
            stream = lazy.Value;
            return true;
        }

        stream = null;
        return false;
    }

    /// <summary>Subscribes to <paramref name="ensemble"/>, creating its stream if no monitor has yet.</summary>
    public EnsembleSubscription Subscribe(string ensemble, CancellationToken cancellationToken) => GetOrAdd(ensemble).Subscribe(cancellationToken);

    /// <summary>Forgets an ensemble and ends its subscriptions.</summary>
    public bool Remove(string ensemble)
    {
        if (!_streams.TryRemove(ensemble, out var lazy))
        {
            return false;
        }

        lazy.Value.Dispose();
        return true;
    }

    private EnsembleEventStream Create(string name)
    {
        // Inside the Lazy: runs once per stream, before any caller of GetOrAdd can publish to it.
        var stream = new EnsembleEventStream(name, sampleCapacity, meterFactory);
        StreamAdded?.Invoke(stream);
        return stream;
    }

    public void Dispose()
    {
        foreach (var name in _streams.Keys)
        {
            Remove(name);
        }
    }
}
