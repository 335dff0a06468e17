using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Components.Pages;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Hosting;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components.Pages;

/// <summary>
/// The overview's "Not running" section, rendered with bUnit over a real portal (no demo) whose catalog holds an
/// embedded ensemble that cannot come back (<see cref="BrokenEnsemble"/>).
/// </summary>
public sealed class HomeNotRunningTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _dataDirectory = PortalFactory.NewDataDirectory();
    private readonly BunitContext _context = new();
    private PortalFactory _portal = null!;

    public async Task InitializeAsync()
    {
        await BrokenEnsemble.StoreAsync(_dataDirectory);
        _portal = new PortalFactory(new Dictionary<string, string?> { ["Portal:DemoEnsemble"] = "false" }, _dataDirectory);
        _ = _portal.Server;
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.Services.AddMudServices();
        _context.Services.AddFallbackServiceProvider(_portal.Services);
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        await _portal.DisposeAsync();
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    [Fact]
    public void Render_EnsembleFailedToComeBack_ShowsNameBackendLocationErrorAndWhen()
    {
        var cut = _context.Render<Home>();

        var entry = cut.Find($"[data-failed-ensemble='{BrokenEnsemble.Name}']");
        Assert.Equal("1", cut.Find("[data-not-running]").GetAttribute("data-not-running"));
        Assert.Contains("Not running", cut.Find(".qp-not-running .qp-section-title").TextContent, StringComparison.Ordinal);
        Assert.Equal(BrokenEnsemble.Name, entry.QuerySelector(".qp-ensemble-name")!.TextContent);
        Assert.Equal("embedded", entry.QuerySelector("[data-field=backend]")!.TextContent);
        Assert.Equal(BrokenEnsemble.DirectoryIn(_dataDirectory), entry.QuerySelector("[data-field=location]")!.TextContent);
        Assert.Contains("server.1", entry.QuerySelector("[data-field=error]")!.TextContent, StringComparison.Ordinal);
        Assert.True(_portal.Services.GetRequiredService<EnsembleRestoreFailures>().TryGet(BrokenEnsemble.Name, out var failure));
        Assert.Equal($"failed {failure.At.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC", entry.QuerySelector("[data-field=at]")!.TextContent);
        Assert.Empty(cut.FindAll("[data-ensemble]"));
        Assert.Contains("No ensemble is running.", cut.Find(".qp-empty").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void TryAgain_CauseFixed_EntryLeavesAndTheCardAppears()
    {
        var cut = _context.Render<Home>();
        BrokenEnsemble.Unblock(_dataDirectory);

        cut.Find("[data-action=retry]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-not-running]")), Deadline);
        cut.WaitForAssertion(() => Assert.Equal(BrokenEnsemble.Name, cut.Find("[data-ensemble]").GetAttribute("data-ensemble")), Deadline);
        Assert.True(_portal.Services.GetRequiredService<EnsembleRegistry>().TryGet(BrokenEnsemble.Name, out _));
    }

    [Fact]
    public void TryAgain_StillBroken_SaysSoNextToItWithTheNewError()
    {
        var cut = _context.Render<Home>();
        BrokenEnsemble.Unblock(_dataDirectory);
        BrokenEnsemble.Block(_dataDirectory, 3);

        cut.Find("[data-action=retry]").Click();

        cut.WaitForAssertion(() => Assert.Contains("server.3", cut.Find("[data-field=error]").TextContent, StringComparison.Ordinal), Deadline);
        cut.WaitForAssertion(() => Assert.Equal("Tried again: it did not come back; the error above is the new one.", cut.Find("[data-outcome=failed]").TextContent.Trim()), Deadline);
        Assert.False(cut.Find("[data-action=retry]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Forget_CancelledThenConfirmed_OnlyTheConfirmationRemovesItDirectoryKept()
    {
        var catalog = _portal.Services.GetRequiredService<IEnsembleCatalog>();
        var cut = _context.Render<Home>();

        cut.Find("[data-action=forget]").Click();
        var confirmation = cut.Find($"[data-confirm-forget='{BrokenEnsemble.Name}']").TextContent;
        Assert.Contains($"its data directory {BrokenEnsemble.DirectoryIn(_dataDirectory)} is left untouched (nothing on disk is deleted)", confirmation, StringComparison.Ordinal);
        cut.Find("[data-action=forget-cancel]").Click();
        Assert.Empty(cut.FindAll("[data-confirm-forget]"));
        Assert.NotNull(await catalog.GetAsync(BrokenEnsemble.Name, CancellationToken.None));

        cut.Find("[data-action=forget]").Click();
        cut.Find("[data-action=forget-confirm]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-not-running]")), Deadline);
        Assert.Null(await catalog.GetAsync(BrokenEnsemble.Name, CancellationToken.None));
        Assert.True(Directory.Exists(BrokenEnsemble.DirectoryIn(_dataDirectory)));
        Assert.Contains("No ensembles yet", cut.Find(".qp-empty").TextContent, StringComparison.Ordinal);
        var entry = (await _portal.Services.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Ensemble = BrokenEnsemble.Name }, CancellationToken.None))[0];
        Assert.Equal(("operator", EnsembleRestoreActions.ForgetAction, "Succeeded"), (entry.Actor, entry.Action, entry.Result));
    }
}
