using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Components;

/// <summary>
/// The home page's static shell as served over HTTP. The live part is interactive-server with prerendering
/// off, so it is not in this HTML; its data is asserted through <c>/api/ensembles</c>.
/// </summary>
public sealed class HomePageTests : IClassFixture<HomePageTests.Fixture>
{
    private readonly Fixture _fixture;

    public HomePageTests(Fixture fixture) => _fixture = fixture;

    [Fact]
    public async Task GetHome_Shell_HasLayoutStylesheetAndBlazorScript()
    {
        using var client = _fixture.Factory.CreateClient();

        var html = await client.GetStringAsync("/");

        Assert.Contains("Quorum Portal", html, StringComparison.Ordinal);
        Assert.Contains("href=\"portal.css\"", html, StringComparison.Ordinal);
        Assert.Contains("_framework/blazor.web.", html, StringComparison.Ordinal);
        Assert.Contains("_content/MudBlazor/MudBlazor.min.", html, StringComparison.Ordinal);
        Assert.Contains("<!--Blazor:{\"type\":\"server\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStylesheet_FromSharedAssets_ServedAsCss()
    {
        using var client = _fixture.Factory.CreateClient();

        var response = await client.GetAsync("/portal.css");

        response.EnsureSuccessStatusCode();
        Assert.Equal("text/css", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(".qp-members", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
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
