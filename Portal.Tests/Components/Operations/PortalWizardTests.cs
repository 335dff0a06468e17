using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Portal.Components.Pages.Operations;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Operations;

/// <summary>
/// The wizards that need the whole portal behind them (catalog, launcher, audit log), rendered with bUnit over the
/// services of a real portal (demo ensemble, SQLite in a temp directory).
/// </summary>
public sealed class PortalWizardTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly PortalFactory _factory = new();
    private readonly BunitContext _context = new();

    public Task InitializeAsync()
    {
        _ = _factory.Server;
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddMudServices();
        _context.Services.AddFallbackServiceProvider(_factory.Services);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public void NewEnsemble_NameTaken_PreflightSaysSoAndCreateStaysOff()
    {
        var cut = _context.Render<NewEnsemblePage>();
        cut.WaitForElement("input[data-field=name]", Deadline).Input("demo");

        cut.Find("[data-action=check]").Click();

        cut.WaitForAssertion(() => Assert.Contains("an ensemble named demo already exists", cut.Find("[data-preflight=refused]").TextContent, StringComparison.Ordinal), Deadline);
        Assert.True(cut.Find("[data-action=create]").HasAttribute("disabled"));
    }

    [Fact]
    public void NewEnsemble_ValidEmbedded_PreflightPassesWithItsSteps()
    {
        var cut = _context.Render<NewEnsemblePage>();
        cut.WaitForElement("input[data-field=name]", Deadline).Input("beta");

        cut.Find("[data-action=check]").Click();

        cut.WaitForAssertion(() => Assert.Contains("3 participants: majority 2, 1 failure tolerated", cut.Find("[data-preflight=ok]").TextContent, StringComparison.Ordinal), Deadline);
        Assert.False(cut.Find("[data-action=create]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Audit_AfterARefusedFailover_RowShownAndFilterByActorNarrowsIt()
    {
        var registry = _factory.Services.GetRequiredService<EnsembleRegistry>();
        Assert.True(registry.TryGet("demo", out var demo));
        await demo.Backend.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, Deadline);
        var coordinator = _factory.Services.GetRequiredService<OperationCoordinator>();
        var start = await coordinator.StartAsync(demo.Backend, new FailoverOperation(FailoverMode.KillLeader, expectedLeader: 99), new OperationRequest("carol", "drill rehearsal"), CancellationToken.None);
        Assert.Equal(OperationStartStatus.Refused, start.Status);
        var audit = _factory.Services.GetRequiredService<AuditLog>();
        await Eventually.WaitAsync(() => audit.QueryAsync(new AuditQuery { Actor = "carol" }, CancellationToken.None), rows => rows.Count == 1, Deadline, "the refusal in the audit log");

        var cut = _context.Render<AuditPage>();
        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("[data-result]"), td => td.TextContent == "Refused"), Deadline);
        cut.Find("input[data-filter=actor]").Change("nobody");
        cut.Find("[data-action=filter]").Click();

        cut.WaitForAssertion(() => Assert.Equal("0", cut.Find("[data-audit-rows]").GetAttribute("data-audit-rows")), Deadline);
        Assert.Equal("api/audit.csv?actor=nobody", cut.Find("[data-action=csv]").GetAttribute("href"));

        // And a filter that matches keeps exactly carol's row (the demo's creation by "system" is left out).
        cut.Find("input[data-filter=actor]").Change("carol");
        cut.Find("[data-action=filter]").Click();
        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find("[data-audit-rows]").GetAttribute("data-audit-rows")), Deadline);
        Assert.Equal("Refused", Assert.Single(cut.FindAll("[data-result]")).TextContent);
    }

    [Fact]
    public void Audit_FromNotATime_SaysHowToWriteIt()
    {
        var cut = _context.Render<AuditPage>();
        cut.WaitForElement("input[data-filter=from]", Deadline).Change("yesterday");

        cut.Find("[data-action=filter]").Click();

        cut.WaitForAssertion(() => Assert.Contains("From: 'yesterday' is not a time", cut.Find("[data-filter-error]").TextContent, StringComparison.Ordinal), Deadline);
    }
}
