using Microsoft.AspNetCore.Components;
using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.History;
using QuorumPortal.Portal.Model;

namespace QuorumPortal.Portal.Components;

/// <summary>
/// A page about one ensemble (route parameter <see cref="Name"/>) that keeps an <see cref="EventFeed"/>: seeded from
/// the shared history's past, then fed every streamed batch, optionally only the events <see cref="FeedFilter"/> keeps.
/// </summary>
public abstract class EnsembleFeedPage : LiveEnsembleComponent
{
    /// <summary>The ensemble's name, from the route.</summary>
    [Parameter]
    public string Name { get; set; } = "";

    /// <summary>What this page keeps of the ensemble's events.</summary>
    protected EventFeed Feed { get; private set; } = new();

    /// <summary>Which logged events the page keeps; null keeps all.</summary>
    protected virtual Func<EnsembleEvent, bool>? FeedFilter => null;

    protected override string EnsembleName => Name;

    protected override bool WantsPast => true;

    protected override void OnPast(HistoryCut cut)
    {
        Feed = new EventFeed(FeedFilter);
        Feed.Seed(cut);
    }

    protected override void OnEvents(IReadOnlyList<EnsembleEvent> batch) => Feed.Add(batch);
}
