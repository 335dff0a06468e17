using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Components.Pages.Operations;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Operations;

/// <summary>
/// The wizards' validation and refusal messages, rendered with bUnit over a real embedded ensemble and the real
/// coordinator: what an operator who types something wrong sees, and that nothing changed.
/// </summary>
public sealed class WizardTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly BunitContext _context = new();
    private readonly EnsembleEventStreams _streams = new();
    private readonly EnsembleRegistry _registry;
    private readonly OperationCoordinator _coordinator;
    private IEnsembleBackend _backend = null!;

    public WizardTests()
    {
        _registry = new EnsembleRegistry(_streams, new EnsembleMonitorOptions(), TimeProvider.System, NullLoggerFactory.Instance);
        _coordinator = new OperationCoordinator(new InMemoryOperationJournal(), TimeProvider.System, NullLogger<OperationCoordinator>.Instance, _streams);
        _context.Services.AddMudServices();
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddSingleton(_registry);
        _context.Services.AddSingleton(_coordinator);
        _context.Services.AddSingleton(TimeProvider.System);
        _context.Services.AddSingleton<ISettingsHistory>(_history);
    }

    private readonly InMemorySettingsHistory _history = new();

    public async Task InitializeAsync()
    {
        var registered = await _registry.AddAsync(new EmbeddedEnsemble(EnsembleSpec.OfSize("wiz", 3, EnsembleSettings.Fast)), CancellationToken.None);
        _backend = registered.Backend;
        await _backend.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, Deadline);
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        await _coordinator.DisposeAsync();
        await _registry.DisposeAsync();
        _streams.Dispose();
    }

    [Fact]
    public void Configuration_SyncLimitAboveInitLimit_RuleShownAndApplyDisabled()
    {
        var cut = _context.Render<ConfigurationPage>(p => p.Add(x => x.Name, "wiz"));
        cut.WaitForElement("input[data-setting=syncLimit]", Deadline);

        cut.Find("input[data-setting=syncLimit]").Change("50");

        cut.WaitForAssertion(() => Assert.Contains("syncLimit must not exceed initLimit (10) (was 50).", cut.Find("[data-validation]").TextContent, StringComparison.Ordinal), Deadline);
        Assert.Equal("5", cut.Find("[data-change=syncLimit] td:nth-child(2)").TextContent);
        Assert.True(cut.Find("[data-action=apply]").HasAttribute("disabled"));
        Assert.Equal(5, _backend.Settings.SyncLimit);
    }

    [Fact]
    public void Configuration_MinSessionTimeoutBelowTwoTicks_RuleNamesTheBound()
    {
        var cut = _context.Render<ConfigurationPage>(p => p.Add(x => x.Name, "wiz"));
        cut.WaitForElement("input[data-setting=minSessionTimeout]", Deadline);

        cut.Find("input[data-setting=minSessionTimeout]").Change("100");

        cut.WaitForAssertion(() => Assert.Contains("minSessionTimeout must be at least 2 × tickTime = 400 ms (was 100).", cut.Find("[data-validation]").TextContent, StringComparison.Ordinal), Deadline);
    }

    [Fact]
    public void Configuration_NothingChanged_SaysSoAndApplyDisabled()
    {
        var cut = _context.Render<ConfigurationPage>(p => p.Add(x => x.Name, "wiz"));

        cut.WaitForElement("[data-diff=empty]", Deadline);
        Assert.True(cut.Find("[data-action=apply]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Configuration_OlderVersion_RollBackStartsAnOperationApplyingIt()
    {
        await _history.AppendAsync(new SettingsChange("wiz", _backend.Settings with { SnapCount = 5000 }, "alice", "smaller snapshots"), CancellationToken.None);
        await _history.AppendAsync(new SettingsChange("wiz", _backend.Settings, "bob", "back to the default"), CancellationToken.None);
        var cut = _context.Render<ConfigurationPage>(p => p.Add(x => x.Name, "wiz"));
        cut.WaitForElement("[data-version='1'] [data-action=rollback]", Deadline);
        Assert.Empty(cut.FindAll("[data-version='2'] [data-action=rollback]"));

        cut.Find("[data-version='1'] [data-action=rollback]").Click();

        var started = await WaitForOperationAsync();
        Assert.Equal("Apply settings v1 again (rollback)", started.Title);
        var done = await _coordinator.Journal.ListAsync("wiz", 1, CancellationToken.None);
        Assert.Equal(OperationKind.ApplySettings, done.Single().Kind);
    }

    private async Task<OperationRecord> WaitForOperationAsync() =>
        (await Eventually.WaitAsync(
            async () => (await _coordinator.Journal.ListAsync("wiz", 1, CancellationToken.None)).FirstOrDefault(),
            r => r is not null,
            Deadline,
            "an operation in the journal"))!;

    [Fact]
    public void AddMembers_IdOfAnExistingMember_PreflightRefusesAndNothingChanges()
    {
        var cut = _context.Render<AddMembersPage>(p => p.Add(x => x.Name, "wiz"));
        cut.WaitForElement("input[data-field=server-id]", Deadline);

        cut.Find("input[data-field=server-id]").Change("2");
        cut.Find("[data-action=check]").Click();

        cut.WaitForAssertion(() => Assert.Contains("server id 2 is already used in wiz.", cut.Find("[data-preflight=refused]").TextContent, StringComparison.Ordinal), Deadline);
        Assert.True(cut.Find("[data-action=start]").HasAttribute("disabled"));
        Assert.Equal(3, _backend.Members.Count);
    }

    [Fact]
    public void AddMembers_OneParticipant_PreflightShowsQuorumAndEvenSizeWarning()
    {
        var cut = _context.Render<AddMembersPage>(p => p.Add(x => x.Name, "wiz"));
        cut.WaitForElement("[data-action=check]", Deadline);

        cut.Find("[data-action=check]").Click();

        cut.WaitForAssertion(() =>
        {
            var preflight = cut.Find("[data-preflight=ok]");
            Assert.Contains("4 voters tolerate 1 failure", preflight.TextContent, StringComparison.Ordinal);
            Assert.Contains("Failures tolerated", preflight.TextContent, StringComparison.Ordinal);
        }, Deadline);
        Assert.False(cut.Find("[data-action=start]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task RemoveMembers_TwoOfThreeWithOneDown_RefusedWithTheReason()
    {
        var snapshot = await _backend.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, Deadline);
        var followers = snapshot.Statuses.Where(s => s.State == PeerState.Following).Select(s => s.ServerId).ToList();
        await _backend.StopMemberAsync(followers[0], StopMode.Kill, CancellationToken.None);
        await _backend.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 2, Deadline);
        var cut = _context.Render<RemoveMembersPage>(p => p.Add(x => x.Name, "wiz"));
        cut.WaitForElement($"input[data-member='{followers[1]}']", Deadline);

        cut.Find($"input[data-member='{followers[1]}']").Change(true);
        cut.Find("[data-action=check]").Click();

        cut.WaitForAssertion(() => Assert.Contains("would be running but 2 are needed for a quorum", cut.Find("[data-preflight=refused]").TextContent, StringComparison.Ordinal), Deadline);
        Assert.Equal(3, _backend.Configuration.Count);
    }

    [Fact]
    public void Failover_NotConfirmed_StartDisabled()
    {
        var cut = _context.Render<FailoverPage>(p => p.Add(x => x.Name, "wiz"));

        cut.WaitForElement("[data-current-leader]", Deadline);
        Assert.True(cut.Find("[data-action=start]").HasAttribute("disabled"));
    }

    [Fact]
    public void UnknownEnsemble_EveryWizard_SaysSo()
    {
        Assert.Contains("No ensemble named nope.", _context.Render<AddMembersPage>(p => p.Add(x => x.Name, "nope")).Markup, StringComparison.Ordinal);
        Assert.Contains("No ensemble named nope.", _context.Render<RemoveMembersPage>(p => p.Add(x => x.Name, "nope")).Markup, StringComparison.Ordinal);
        Assert.Contains("No ensemble named nope.", _context.Render<ConfigurationPage>(p => p.Add(x => x.Name, "nope")).Markup, StringComparison.Ordinal);
        Assert.Contains("No ensemble named nope.", _context.Render<FailoverPage>(p => p.Add(x => x.Name, "nope")).Markup, StringComparison.Ordinal);
    }
}
