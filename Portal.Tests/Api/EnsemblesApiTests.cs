using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Portal.Tests.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static QuorumPortal.Portal.Tests.Testing.EnsembleConditions;

namespace QuorumPortal.Portal.Tests.Api;

/// <summary><c>GET /api/ensembles</c> against the live embedded demo ensemble.</summary>
public sealed class EnsemblesApiTests(ITestOutputHelper output) : PortalApiTest
{
    [Fact]
    public async Task GetEnsembles_DemoStarted_ThreeMembersExactlyOneLeading()
    {
        var ensembles = await Factory.WaitForEnsemblesAsync(Client, e => IsSettled(Demo(e)), Deadline);

        var demo = Assert.Single(ensembles);
        Assert.Equal("demo", demo.Name);
        Assert.Equal(BackendKind.Embedded, demo.Backend);
        Assert.Equal([1, 2, 3], demo.Members.Select(m => m.ServerId).Order());
        var leader = Assert.Single(demo.Members, m => m.State == PeerState.Leading);
        Assert.Equal(demo.LeaderId, leader.ServerId);
        Assert.Equal("healthy", demo.Health);
        Assert.Equal(1, demo.FailuresLeft);
        Assert.All(demo.Members.Where(m => m.ServerId != leader.ServerId), m =>
        {
            Assert.Equal(PeerState.Following, m.State);
            Assert.Equal(leader.ServerId, m.LeaderId);
        });
        Assert.All(demo.Members, m => Assert.Equal(Zxid.ToHex(m.LastZxid), m.LastZxidHex));
        Assert.True(Directory.Exists(Path.Combine(Factory.DataDirectory, "ensembles", "demo", "server.1")), "the demo keeps its data under Portal:DataDirectory");
    }

    [Fact]
    public async Task KillLeader_ThroughRegistry_DifferentLeaderWithinSeconds()
    {
        var before = Demo(await Factory.WaitForEnsemblesAsync(Client, e => IsSettled(Demo(e)), Deadline))!;
        var registry = Factory.Services.GetRequiredService<EnsembleRegistry>();
        Assert.True(registry.TryGet("demo", out var demo));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await demo.Backend.StopMemberAsync(before.LeaderId!.Value, StopMode.Kill, CancellationToken.None);
        var after = Demo(await Factory.WaitForEnsemblesAsync(
            Client,
            e => IsSettled(Demo(e)) && Demo(e)!.LeaderId != before.LeaderId,
            TimeSpan.FromSeconds(10)))!;
        output.WriteLine($"leader {before.LeaderId} killed; API shows leader {after.LeaderId} after {clock.ElapsedMilliseconds} ms");

        Assert.NotEqual(before.LeaderId, after.LeaderId);
        Assert.True(after.Epoch > before.Epoch, $"epoch {after.Epoch} should be past {before.Epoch}");
        Assert.Equal(PeerState.Down, after.Members.Single(m => m.ServerId == before.LeaderId).State);
        Assert.Equal("degraded: 0 failures left", after.Health);
    }

    [Fact]
    public async Task GetEnsemble_UnknownName_NotFound()
    {
        var response = await Client.GetAsync("/api/ensembles/nope");

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }
}
