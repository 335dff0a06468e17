using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using QuorumPortal.Engine.Monitoring;
using Xunit.Abstractions;

namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>
/// One browser test: the real portal on Kestrel on a loopback port (temporary data directory), one Chromium page
/// on it, screenshots saved as artifacts, and a Playwright trace kept when the test fails.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly (string Test, ITestOutputHelper Output, Chromium Chromium, IBrowserContext Context) _run;
    private bool _failed;

    private BrowserSession(string test, ITestOutputHelper output, PortalFactory portal, Uri address, Chromium chromium, IBrowserContext context, IPage page)
    {
        _run = (test, output, chromium, context);
        (Portal, Address, Page) = (portal, address, page);
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                Log($"browser console {message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => Log($"browser page error: {error}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                Log($"browser got {response.Status} for {response.Url}");
            }
        };
    }

    public PortalFactory Portal { get; }

    /// <summary>Where Kestrel listens, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    public IPage Page { get; }

    public EnsembleRegistry Registry => Portal.Services.GetRequiredService<EnsembleRegistry>();

    /// <summary>Starts the portal with <paramref name="settings"/> and opens a blank Chromium page, tracing from the start.</summary>
    public static async Task<BrowserSession> StartAsync(string test, ITestOutputHelper output, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var portal = new PortalFactory(settings ?? new Dictionary<string, string?>());
        Chromium? chromium = null;
        try
        {
            var address = portal.StartKestrel();
            chromium = await Chromium.LaunchAsync();
            var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
            // DOM snapshots only: screencast frames would cost a core on a shared 2-core machine.
            await context.Tracing.StartAsync(new TracingStartOptions { Snapshots = true, Screenshots = false, Title = test });
            var page = await context.NewPageAsync();
            output.WriteLine($"portal on {address}, data in {portal.DataDirectory}, {Chromium.ExecutablePath} {chromium.Browser.Version}");
            return new BrowserSession(test, output, portal, address, chromium, context, page);
        }
        catch
        {
            if (chromium is not null)
            {
                await chromium.DisposeAsync();
            }

            await portal.DisposeAsync();
            throw;
        }
    }

    public async Task OpenAsync(string path)
    {
        var response = await Page.GotoAsync(new Uri(Address, path).ToString());
        if (response is not { Ok: true })
        {
            throw new InvalidOperationException($"GET {path} answered {response?.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}");
        }
    }

    /// <summary>
    /// Waits until the page shows exactly one leader of <paramref name="ensemble"/>, other than <paramref name="excluded"/>,
    /// with at least <paramref name="serving"/> members as leader or follower, and returns the leader's id.
    /// </summary>
    public async Task<int> WaitForSingleLeaderAsync(string ensemble, int? excluded, int serving, TimeSpan timeout)
    {
        try
        {
            var handle = await Page.WaitForFunctionAsync(
                DashboardDom.SingleLeaderScript,
                new object?[] { ensemble, excluded, serving },
                new PageWaitForFunctionOptions { Timeout = (float)Math.Max(1, timeout.TotalMilliseconds) });
            return await handle.JsonValueAsync<int>();
        }
        catch (TimeoutException e)
        {
            var roles = await Page.Locator(DashboardDom.Members(ensemble)).EvaluateAllAsync<string[]>(
                "rows => rows.map(r => r.getAttribute('data-server-id') + ':' + r.getAttribute('data-role'))");
            throw new TimeoutException(
                $"{ensemble}: no single leader (other than {excluded?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}) with {serving} serving " +
                $"within {timeout.TotalMilliseconds:0} ms; the page shows [{string.Join(", ", roles)}]", e);
        }
    }

    /// <summary>Saves a full-page screenshot as <c>TestResults/screenshots/{test}-{step}.png</c>.</summary>
    public async Task<string> ScreenshotAsync(string step)
    {
        var path = TestArtifacts.PathFor("screenshots", $"{_run.Test}-{step}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        _run.Output.WriteLine($"screenshot {path}");
        return path;
    }

    /// <summary>Runs the test's body; when it throws, saves a screenshot and the trace before the exception goes on.</summary>
    public async Task RunAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            _failed = true;
            await ScreenshotAsync("failure");
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            var trace = _failed ? TestArtifacts.PathFor("traces", $"{_run.Test}.zip") : null;
            await _run.Context.Tracing.StopAsync(new TracingStopOptions { Path = trace });
            if (trace is not null)
            {
                _run.Output.WriteLine($"trace {trace} (open it in Playwright's trace viewer: playwright show-trace {trace})");
            }

            await _run.Context.CloseAsync();
        }
        finally
        {
            await _run.Chromium.DisposeAsync();
            await Portal.DisposeAsync();
        }
    }

    private void Log(string line)
    {
        try
        {
            _run.Output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test has ended; a late console message has nowhere to go.
        }
    }
}

/// <summary>Where browser tests leave screenshots and traces: <c>TestResults/</c> beside Portal.sln (QP_TEST_ARTIFACTS overrides).</summary>
public static class TestArtifacts
{
    public static string Root { get; } = Environment.GetEnvironmentVariable("QP_TEST_ARTIFACTS") is { Length: > 0 } root
        ? Path.GetFullPath(root)
        : Path.Combine(SolutionDirectory() ?? AppContext.BaseDirectory, "TestResults");

    public static string PathFor(string kind, string file)
    {
        var directory = Path.Combine(Root, kind);
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, file);
    }

    private static string? SolutionDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Portal.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
