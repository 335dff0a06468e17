using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Portal.Model;

/// <summary>The members a page lists: those of the snapshot (configured plus reported), else those configured.</summary>
public static class EnsembleMembers
{
    public static IReadOnlyList<int> Ids(EnsembleSnapshot? snapshot, IReadOnlyList<MemberSpec>? configured)
    {
        var members = snapshot?.Members ?? configured ?? [];
        var ids = members.Select(m => m.ServerId);
        if (snapshot is not null)
        {
            ids = ids.Concat(snapshot.Statuses.Select(s => s.ServerId));
        }

        return [.. ids.Distinct().Order()];
    }

    public static MemberSpec? Spec(EnsembleSnapshot? snapshot, IReadOnlyList<MemberSpec>? configured, int serverId) =>
        (snapshot?.Members ?? configured)?.FirstOrDefault(m => m.ServerId == serverId);
}
