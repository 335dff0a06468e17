using Microsoft.AspNetCore.Components;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.Model;

namespace QuorumPortal.Portal.Components.Pages;

/// <summary>One member: its card, its charts, the events about it, and its raw probe output.</summary>
public sealed partial class MemberPage : EnsembleFeedPage
{
    /// <summary>The member's server id, from the route.</summary>
    [Parameter]
    public int ServerId { get; set; }

    protected override string FollowKey => $"{Name}/{ServerId}";

    protected override Func<EnsembleEvent, bool> FeedFilter
    {
        get
        {
            var id = ServerId;
            return e => EventView.Involves(e, id);
        }
    }

    /// <summary>Before the first probe every configured member counts; after it, the snapshot's.</summary>
    private bool IsMember => EnsembleMembers.Ids(Snapshot, Registered?.Backend.Members).Contains(ServerId)
        || (Snapshot is null && Registered is null);

    private MemberSpec? Spec => EnsembleMembers.Spec(Snapshot, Registered?.Backend.Members, ServerId);

    private string ClientsSubtitle => (Snapshot?.Backend ?? Registered?.Backend.Kind) == BackendKind.Embedded
        ? "the member's sessions"
        : "ZooKeeper's cons (or the AdminServer's connections)";
}
