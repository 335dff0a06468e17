using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Portal.Components.Controls;
using QuorumPortal.Portal.Components.Pages;

namespace QuorumPortal.Portal.Tests.Components;

/// <summary>The live panel and the home page, rendered with bUnit; waits are on the rendered markup.</summary>
public sealed class EnsemblePanelTests : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly BunitContext _context = new();
    private readonly EnsembleEventStreams _streams = new();

    public EnsemblePanelTests()
    {
        _context.Services.AddSingleton(_streams);
        _context.Services.AddSingleton(TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        _streams.Dispose();
    }

    [Fact]
    public void Render_LeaderElectedPublished_ShowsNewLeaderAndDegradedHealth()
    {
        var stream = _streams.GetOrAdd("alpha");
        stream.Publish(Snapshot(leader: 1, down: null, epoch: 1), []);
        var cut = _context.Render<EnsemblePanel>(p => p.Add(x => x.Ensemble, "alpha"));
        Assert.Equal("1", cut.Find("tr.qp-state-leading td").TextContent);
        Assert.Equal("healthy", cut.Find(".qp-health").TextContent);

        stream.Publish(Snapshot(leader: 2, down: 1, epoch: 2), [new LeaderElected("alpha", DateTimeOffset.UtcNow, 1, 2, 2, TimeSpan.FromMilliseconds(400))]);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("2", cut.Find("tr.qp-state-leading td").TextContent);
            Assert.Equal("degraded: 0 failures left", cut.Find(".qp-health").TextContent);
            Assert.Contains("replacing server 1", cut.Find(".qp-election").TextContent, StringComparison.Ordinal);
        }, Deadline);
        Assert.Single(cut.FindAll("tr.qp-state-down"));
    }

    [Fact]
    public void Render_DataHooks_NameEnsembleLeaderAndEveryMembersRole()
    {
        var stream = _streams.GetOrAdd("alpha");
        var cut = _context.Render<EnsemblePanel>(p => p
            .Add(x => x.Ensemble, "alpha")
            .Add(x => x.Members, EnsembleSpec.OfSize("alpha", 3).Members));
        Assert.Equal("alpha", cut.Find("[data-ensemble]").GetAttribute("data-ensemble"));
        Assert.Equal("", cut.Find("[data-leader-id]").GetAttribute("data-leader-id"));
        Assert.Equal(["1:down", "2:down", "3:down"], Roles(cut));

        stream.Publish(Snapshot(leader: 2, down: 1, epoch: 2), [new LeaderElected("alpha", DateTimeOffset.UtcNow, null, 2, 2, null)]);

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("2", cut.Find("[data-leader-id]").GetAttribute("data-leader-id"));
            Assert.Equal(["1:down", "2:leader", "3:follower"], Roles(cut));
        }, Deadline);
    }

    [Fact]
    public async Task Render_Disposed_SubscriptionRemoved()
    {
        var stream = _streams.GetOrAdd("alpha");
        var cut = _context.Render<EnsemblePanel>(p => p.Add(x => x.Ensemble, "alpha"));
        Assert.Equal(1, stream.SubscriberCount);

        await cut.Instance.DisposeAsync();

        Assert.Equal(0, stream.SubscriberCount);
    }

    [Fact]
    public async Task Home_RegisteredEmbeddedEnsemble_PanelPerEnsembleWithOneLeader()
    {
        await using var registry = new EnsembleRegistry(_streams, new EnsembleMonitorOptions(), TimeProvider.System, NullLoggerFactory.Instance);
        await registry.AddAsync(new EmbeddedEnsemble(EnsembleSpec.OfSize("beta", 3, EnsembleSettings.Fast)), CancellationToken.None);
        _context.Services.AddSingleton(registry);

        var cut = _context.Render<Home>();

        cut.WaitForAssertion(() =>
        {
            var panel = cut.Find("section.qp-ensemble");
            Assert.Equal("beta", panel.GetAttribute("data-ensemble"));
            Assert.Equal(3, cut.FindAll("tbody tr").Count);
            Assert.Single(cut.FindAll("tr.qp-state-leading"));
        }, Deadline);
    }

    private static string[] Roles(IRenderedComponent<EnsemblePanel> cut) =>
        [.. cut.FindAll("[data-server-id]").Select(m => $"{m.GetAttribute("data-server-id")}:{m.GetAttribute("data-role")}")];

    private static EnsembleSnapshot Snapshot(int leader, int? down, long epoch)
    {
        var now = DateTimeOffset.UtcNow;
        var members = EnsembleSpec.OfSize("alpha", 3).Members;
        return new EnsembleSnapshot
        {
            Name = "alpha",
            Backend = BackendKind.Embedded,
            Members = members,
            TakenAt = now,
            Statuses = [.. members.Select(m => m.ServerId == down
                ? MemberStatus.Down(m.ServerId, now, "stopped")
                : new MemberStatus
                {
                    ServerId = m.ServerId,
                    ProbedAt = now,
                    State = m.ServerId == leader ? PeerState.Leading : PeerState.Following,
                    Phase = ZabPhase.Broadcast,
                    LeaderId = leader,
                    Epoch = epoch,
                    LastZxid = Zxid.Make(epoch, 0),
                    LastHeartbeat = now,
                })],
        };
    }
}
