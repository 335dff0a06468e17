using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper;

namespace QuorumPortal.Engine.Tests.ZooKeeper;

public sealed class ZooKeeperReconfigTests
{
    private static readonly IReadOnlyList<MemberSpec> Three =
        [.. Enumerable.Range(1, 3).Select(id => new MemberSpec { ServerId = id, QuorumPort = 20000 + id, ElectionPort = 21000 + id, ClientPort = 22000 + id })];

    [Fact]
    public void EnsureValid_TwoJoiningParticipants_RefusedOneAtATime()
    {
        var joiners = new[] { 4, 5 }.Select(id => new MemberSpec { ServerId = id, QuorumPort = 20000 + id, ElectionPort = 21000 + id, ClientPort = 22000 + id }).ToList();

        var error = Assert.Throws<ValidationException>(() => ZooKeeperReconfig.EnsureValid("zk", new EnsembleSettings(), Three, joiners, []));

        Assert.Contains(error.Errors, e => e.Field == "joining" && e.Rule.Contains("one participant at a time", StringComparison.Ordinal));
    }

    [Fact]
    public void EnsureValid_TwoJoiningObservers_Accepted()
    {
        var joiners = new[] { 4, 5 }.Select(id => new MemberSpec { ServerId = id, Role = MemberRole.Observer, QuorumPort = 20000 + id, ElectionPort = 21000 + id, ClientPort = 22000 + id }).ToList();

        ZooKeeperReconfig.EnsureValid("zk", new EnsembleSettings(), Three, joiners, []);
    }

    [Fact]
    public void EnsureValid_JoinerReusesAPort_RefusedNamingThePort()
    {
        var joiner = new MemberSpec { ServerId = 4, QuorumPort = 20001, ElectionPort = 21004, ClientPort = 22004 };

        var error = Assert.Throws<ValidationException>(() => ZooKeeperReconfig.EnsureValid("zk", new EnsembleSettings(), Three, [joiner], []));

        Assert.Contains(error.Errors, e => e.Rule.Contains("20001", StringComparison.Ordinal));
    }
}
