using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components;

/// <summary>
/// The pages' static shell as served over HTTP. The live part is interactive-server with prerendering off, so
/// it is not in this HTML (the bUnit tests render it); here: the shell, its assets and the routes.
/// </summary>
public sealed class ShellTests : IClassFixture<ShellTests.Fixture>
{
    private readonly Fixture _fixture;

    public ShellTests(Fixture fixture) => _fixture = fixture;

    [Fact]
    public async Task GetHome_Shell_LayoutStylesheetBlazorStartedByPortalScriptAndConnectionBanner()
    {
        using var client = _fixture.Factory.CreateClient();

        var html = await client.GetStringAsync("/");

        Assert.Contains("Quorum Portal", html, StringComparison.Ordinal);
        Assert.Contains("href=\"portal.css\"", html, StringComparison.Ordinal);
        Assert.Contains("_framework/blazor.web.", html, StringComparison.Ordinal);
        Assert.Contains("_content/MudBlazor/MudBlazor.min.", html, StringComparison.Ordinal);
        Assert.Contains("<!--Blazor:{\"type\":\"server\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"qp-connection-banner\"", html, StringComparison.Ordinal);
        Assert.Contains("autostart=\"false\"", html, StringComparison.Ordinal);
        Assert.Contains("src=\"portal.js\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetScript_FromSharedAssets_StartsBlazorWithTheBannerAsDialog()
    {
        using var client = _fixture.Factory.CreateClient();

        var response = await client.GetAsync("/portal.js");

        response.EnsureSuccessStatusCode();
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        var script = await response.Content.ReadAsStringAsync();
        Assert.Contains("Blazor.start(", script, StringComparison.Ordinal);
        Assert.Contains("dialogId: bannerId", script, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/ensembles/demo")]
    [InlineData("/ensembles/demo/members/1")]
    [InlineData("/?wall=1")]
    public async Task GetPage_DashboardRoutes_ServedWithTheShell(string path)
    {
        using var client = _fixture.Factory.CreateClient();

        var response = await client.GetAsync(path);

        response.EnsureSuccessStatusCode();
        Assert.Contains("id=\"qp-connection-banner\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStylesheet_FromSharedAssets_ServedAsCss()
    {
        using var client = _fixture.Factory.CreateClient();

        var response = await client.GetAsync("/portal.css");

        response.EnsureSuccessStatusCode();
        Assert.Equal("text/css", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("#qp-connection-banner.components-reconnect-show", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetUnknownPage_NotFoundPage()
    {
        using var client = _fixture.Factory.CreateClient();

        var response = await client.GetAsync("/no-such-page");

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    public sealed class Fixture : IAsyncLifetime
    {
        // The shell needs no ensemble; without the demo this fixture starts no member threads.
        public PortalFactory Factory { get; } = new(new Dictionary<string, string?> { ["Portal:DemoEnsemble"] = "false" });

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync() => await Factory.DisposeAsync();
    }
}
