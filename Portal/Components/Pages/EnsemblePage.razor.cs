using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Portal.Model;

namespace QuorumPortal.Portal.Components.Pages;

/// <summary>
/// One ensemble: a card per member, charts over the last five minutes, the leader timeline and the event log.
/// The past comes from the shared history once; the present from the page's own subscription.
/// </summary>
public sealed partial class EnsemblePage : EnsembleFeedPage
{
    /// <summary>Configured members and any member a probe reported, by server id.</summary>
    private IReadOnlyList<int> MemberIds() => EnsembleMembers.Ids(Snapshot, Registered?.Backend.Members);

    private MemberSpec? Spec(int serverId) => EnsembleMembers.Spec(Snapshot, Registered?.Backend.Members, serverId);
}
