using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Tests.Ensembles;

public sealed class EnsembleSpecTests
{
    private static EnsembleSpec Spec(params MemberSpec[] members) => new() { Name = "alpha", Members = members };

    private static MemberSpec Member(int id, int quorum = 0, int election = 0, int client = 0, string host = "127.0.0.1", MemberRole role = MemberRole.Participant) =>
        new() { ServerId = id, QuorumPort = quorum, ElectionPort = election, ClientPort = client, Host = host, Role = role };

    [Fact]
    public void Validate_OfSizeThree_IsValid()
    {
        var spec = EnsembleSpec.OfSize("alpha", 3);

        Assert.Empty(spec.Validate());
        Assert.Equal([1, 2, 3], spec.Voters.Select(m => m.ServerId));
    }

    [Fact]
    public void Validate_DistinctFixedPorts_IsValid()
    {
        var spec = Spec(Member(1, 2888, 3888, 2181), Member(2, 2889, 3889, 2182), Member(3, 2888, 3888, 2181, host: "10.0.0.3"));

        Assert.Empty(spec.Validate());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("prod cluster")]
    [InlineData("prod/cluster")]
    [InlineData("zoo:1")]
    [InlineData("αlpha")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Validate_BadName_Reported(string name)
    {
        var errors = (EnsembleSpec.OfSize("alpha", 3) with { Name = name }).Validate();

        Assert.Equal("name", Assert.Single(errors).Field);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("prod-eu_1.zk")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Validate_GoodName_IsValid(string name)
    {
        Assert.Empty((EnsembleSpec.OfSize("alpha", 3) with { Name = name }).Validate());
    }

    [Fact]
    public void Validate_NoMembers_Reported()
    {
        Assert.Equal("members", Assert.Single(Spec().Validate()).Field);
    }

    [Fact]
    public void Validate_ObserversOnly_Reported()
    {
        var error = Assert.Single(Spec(Member(1, role: MemberRole.Observer), Member(2, role: MemberRole.Observer)).Validate());

        Assert.Equal("members", error.Field);
        Assert.Contains("observers", error.Rule);
    }

    [Fact]
    public void Validate_DuplicateServerIds_Reported()
    {
        var error = Assert.Single(Spec(Member(1), Member(2), Member(2)).Validate());

        Assert.Equal("server.2", error.Field);
        Assert.Contains("unique", error.Rule);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    [InlineData(-1)]
    public void Validate_ServerIdOutOfRange_Reported(int id)
    {
        var error = Assert.Single(Spec(Member(1), Member(id)).Validate());

        Assert.Equal($"server.{id}", error.Field);
        Assert.Contains("between 1 and 255", error.Rule);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    public void Validate_ServerIdAtTheEdges_IsValid(int id)
    {
        Assert.Empty(Spec(Member(id)).Validate());
    }

    [Fact]
    public void Validate_SamePortOnTwoMembersOfOneHost_Reported()
    {
        var error = Assert.Single(Spec(Member(1, 2888, 3888, 2181), Member(2, 2889, 3889, 2181)).Validate());

        Assert.Equal("server.2", error.Field);
        Assert.Contains("client port 2181", error.Rule);
        Assert.Contains("server.1 client port", error.Rule);
    }

    [Fact]
    public void Validate_QuorumPortOfOneIsClientPortOfAnother_Reported()
    {
        var error = Assert.Single(Spec(Member(1, 2888, 3888, 2181), Member(2, 2181, 3889, 2182)).Validate());

        Assert.Contains("quorum port 2181", error.Rule);
    }

    [Fact]
    public void Validate_SamePortOnHostsSpelledDifferently_Reported()
    {
        Assert.Single(Spec(Member(1, 2888, host: "zk1.example"), Member(2, 2888, host: "ZK1.example")).Validate());
    }

    [Fact]
    public void Validate_SamePortTwiceInOneMember_ReportedOnce()
    {
        var error = Assert.Single(Spec(Member(1, 2888, 2888, 2181)).Validate());

        Assert.Equal("server.1", error.Field);
        Assert.Contains("must differ", error.Rule);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public void Validate_PortOutOfRange_Reported(int port)
    {
        var error = Assert.Single(Spec(Member(1, quorum: port)).Validate());

        Assert.Contains("between 1 and 65535", error.Rule);
    }

    [Theory]
    [InlineData("")]
    [InlineData("zk 1")]
    [InlineData(" ")]
    public void Validate_BadHost_Reported(string host)
    {
        Assert.Contains("host", Assert.Single(Spec(Member(1, host: host)).Validate()).Rule);
    }

    [Fact]
    public void Validate_BadSettings_ReportedWithTheSpec()
    {
        var spec = EnsembleSpec.OfSize("alpha", 3, new EnsembleSettings { TickTime = 0 });

        Assert.Equal("tickTime", Assert.Single(spec.Validate()).Field);
        Assert.Throws<ValidationException>(() => spec.EnsureValid());
    }

    [Fact]
    public void ToConfigLine_Observer_NamesRoleAndClientAddress()
    {
        Assert.Equal("server.4=zk4:2888:3888:observer;zk4:2181", Member(4, 2888, 3888, 2181, host: "zk4", role: MemberRole.Observer).ToConfigLine());
    }
}
