using System.Diagnostics.Metrics;

namespace QuorumPortal.Engine.Events;

/// <summary>The fan-out's counters, on the meter <c>QuorumPortal.Engine.Events</c>.</summary>
internal sealed class EventsMetrics : IDisposable
{
    public const string MeterName = "QuorumPortal.Engine.Events";

    private readonly Meter? _owned;
    private readonly Counter<long> _samplesDropped;
    private readonly Counter<long> _published;
    private readonly UpDownCounter<long> _subscribers;

    public EventsMetrics(IMeterFactory? meterFactory)
    {
        // A factory owns the meters it creates; without one we own ours and dispose it with the stream.
        var meter = meterFactory?.Create(MeterName) ?? (_owned = new Meter(MeterName));
        _samplesDropped = meter.CreateCounter<long>("quorumportal.events.samples_dropped", "{event}", "Samples coalesced away for subscribers that fell behind.");
        _published = meter.CreateCounter<long>("quorumportal.events.published", "{event}", "Events published to the fan-out.");
        _subscribers = meter.CreateUpDownCounter<long>("quorumportal.events.subscribers", "{subscriber}", "Open subscriptions.");
    }

    public void SamplesDropped(string ensemble, long count) => _samplesDropped.Add(count, new KeyValuePair<string, object?>("ensemble", ensemble));

    public void Published(string ensemble, long count) => _published.Add(count, new KeyValuePair<string, object?>("ensemble", ensemble));

    public void SubscribersChanged(string ensemble, long delta) => _subscribers.Add(delta, new KeyValuePair<string, object?>("ensemble", ensemble));

    public void Dispose() => _owned?.Dispose();
}
