using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Workloads;
using QuorumPortal.Portal.Components.Controls;
using QuorumPortal.Portal.Tests.Testing;
using Xunit.Abstractions;

namespace QuorumPortal.Portal.Tests.Components;

/// <summary>The workload panel with a real <see cref="WorkloadManager"/> over a real embedded ensemble; waits are on the markup.</summary>
public sealed class WorkloadPanelTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly BunitContext _context = new();
    private readonly EmbeddedEnsemble _ensemble = new(EnsembleSpec.OfSize("beta", 3, EnsembleSettings.Fast));
    private WorkloadManager _manager = null!;

    public async Task InitializeAsync()
    {
        output.WriteLine($"embedded ensemble seed {_ensemble.Seed}");
        await _ensemble.StartAsync(CancellationToken.None);
        _manager = new WorkloadManager(name => name == "beta" ? _ensemble : null, TimeProvider.System);
        _context.Services.AddMudServices();
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddSingleton(TimeProvider.System);
        _context.Services.AddSingleton(_manager);
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        await _manager.DisposeAsync();
        await _ensemble.DisposeAsync();
    }

    [Fact]
    public void Start_BadValues_EachRuleUnderItsFieldAndNothingStarted()
    {
        var cut = Render();
        Input(cut, "rate").Change("0");
        Input(cut, "writes").Change("150");
        Input(cut, "sessions").Change("100");

        cut.Find(".qp-workload-start").Click();

        Assert.Equal("must be between 1 and 100,000 operations per second (was 0)", ErrorUnder(cut, "rate"));
        Assert.Equal("must be between 0 and 1, that is 0% to 100% writes (was 1.5 = 150%)", ErrorUnder(cut, "writes"));
        Assert.Equal("must be between 1 and 64 sessions (was 100)", ErrorUnder(cut, "sessions"));
        Assert.Null(ErrorUnder(cut, "value-size"));
        Assert.Null(ErrorUnder(cut, "keys"));
        Assert.False(_manager.IsActive("beta"));
        Assert.Equal("not running", cut.Find(".qp-workload-state").TextContent);
    }

    [Fact]
    public void Start_ValuesTooLargeTogether_RuleShownOnTheFieldItNames()
    {
        var cut = Render();
        Input(cut, "value-size").Change("1000000");

        cut.Find(".qp-workload-start").Click();

        // 100 keys of ~1 MB: more than a member should hold; 200 ops/s of it: more than the portal should move.
        Assert.Contains("MiB/s", ErrorUnder(cut, "value-size"), StringComparison.Ordinal);
        Assert.Contains("on every member", ErrorUnder(cut, "keys"), StringComparison.Ordinal);
        Assert.False(_manager.IsActive("beta"));
    }

    [Fact]
    public void Start_NotANumber_RefusedSayingWhichFieldAndNothingStarted()
    {
        var cut = Render();
        Input(cut, "writes").Change("half");

        cut.Find(".qp-workload-start").Click();

        Assert.Equal("Not started: the write share is not a number.", cut.Find(".qp-workload-error").TextContent);
        Assert.Equal("Not a valid number", ErrorUnder(cut, "writes"));
        Assert.False(_manager.IsActive("beta"));
    }

    [Fact]
    public async Task StartThenStop_ValidForm_CountersGrowThenStoppedWithKeySpaceDeleted()
    {
        var cut = Render();
        Input(cut, "rate").Change("300");
        Input(cut, "keys").Change("10");
        cut.Find(".qp-workload-delete input").Change(true);

        cut.Find(".qp-workload-start").Click();

        Assert.True(_manager.IsActive("beta"));
        Assert.True(cut.Find(".qp-workload-start").HasAttribute("disabled"), "Start is disabled while a workload runs");
        Assert.True(Input(cut, "rate").HasAttribute("disabled"), "the form is read-only while a workload runs");
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("running", cut.Find(".qp-workload-state").TextContent);
            Assert.True(Count(cut, "reads") >= 50 && Count(cut, "writes") >= 50, cut.Find(".qp-workload-counters").TextContent);
            Assert.EndsWith(" ms", cut.Find(".qp-workload-p99").TextContent, StringComparison.Ordinal);
        }, Deadline);
        Assert.Contains("300 ops/s, 50% writes", cut.Find(".qp-workload-summary").TextContent, StringComparison.Ordinal);

        await cut.InvokeAsync(() => cut.Find(".qp-workload-stop").Click());

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("stopped", cut.Find(".qp-workload-state").TextContent);
            Assert.False(cut.Find(".qp-workload-start").HasAttribute("disabled"), "Start is enabled again once the stop has finished");
        }, Deadline);
        Assert.False(_manager.IsActive("beta"));
        var writes = Count(cut, "writes");
        Assert.True(_manager.TryGet("beta", out var final));
        Assert.Equal(final.Writes, writes);
        await using var reader = await _ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        Assert.Null(await reader.ExistsAsync("/quorum-portal/workload"));
    }

    [Fact]
    public void Render_WorkloadStartedElsewhere_ShowsItWithItsSpecAndOnlyStopEnabled()
    {
        _manager.Start("beta", new WorkloadSpec { OperationsPerSecond = 123, WriteFraction = 0.25, Keys = 7 });

        var cut = Render();

        Assert.Equal("123", Input(cut, "rate").GetAttribute("value"));
        Assert.Equal("25", Input(cut, "writes").GetAttribute("value"));
        Assert.Equal("7", Input(cut, "keys").GetAttribute("value"));
        Assert.True(cut.Find(".qp-workload-start").HasAttribute("disabled"));
        Assert.False(cut.Find(".qp-workload-stop").HasAttribute("disabled"));
        cut.WaitForAssertion(() => Assert.Equal("running", cut.Find(".qp-workload-state").TextContent), Deadline);
    }

    [Fact]
    public async Task Dispose_PanelClosed_WorkloadKeepsRunning()
    {
        var cut = Render();
        cut.Find(".qp-workload-start").Click();
        Assert.True(_manager.TryGet("beta", out var started));

        await cut.Instance.DisposeAsync();

        var later = await WaitForAsync(s => s.Writes > 0 && s.State == WorkloadState.Running);
        Assert.Equal(started.StartedAt, later.StartedAt);
        Assert.True(_manager.IsActive("beta"));
    }

    [Fact]
    public void Render_StartedThroughTheManagerAfterRender_PanelFollows()
    {
        var cut = Render();
        Assert.Equal("not running", cut.Find(".qp-workload-state").TextContent);

        _manager.Start("beta", new WorkloadSpec());

        cut.WaitForAssertion(() =>
        {
            Assert.True(cut.Find(".qp-workload-start").HasAttribute("disabled"));
            Assert.Contains(cut.Find(".qp-workload-state").TextContent, new[] { "starting", "running" });
        }, Deadline);
    }

    private IRenderedComponent<WorkloadPanel> Render() => _context.Render<WorkloadPanel>(p => p.Add(x => x.Ensemble, "beta"));

    private static IElement Input(IRenderedComponent<WorkloadPanel> cut, string field) => cut.Find($"#workload-beta-{field}");

    /// <summary>The error text shown under the field, or null.</summary>
    private static string? ErrorUnder(IRenderedComponent<WorkloadPanel> cut, string field) =>
        Input(cut, field).Closest(".qp-field")!.QuerySelector(".qp-field-error")?.TextContent;

    private static long Count(IRenderedComponent<WorkloadPanel> cut, string counter) =>
        long.Parse(cut.Find($".qp-workload-{counter}").TextContent, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);

    private async Task<WorkloadStatus> WaitForAsync(Func<WorkloadStatus, bool> condition) =>
        (await Eventually.WaitAsync(
            () => Task.FromResult(_manager.TryGet("beta", out var status) ? status : null),
            s => s is not null && condition(s),
            Deadline,
            "the workload on beta as expected"))!;
}
