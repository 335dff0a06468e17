using Microsoft.Playwright;

namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>
/// Debian's Chromium driven by Playwright for .NET, launched the one way every browser test and benchmark uses:
/// the distribution's binary (Playwright never downloads a browser here), headless, with the switches a machine
/// without network needs. Also compiled into Benchmarks.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    /// <summary>Where Debian's <c>chromium</c> package puts the browser.</summary>
    public const string ExecutablePath = "/usr/bin/chromium";

    // No sandbox: CI runs as root, where Chromium refuses to start sandboxed. The rest stop Chromium's own background
    // connections (updates, sync, QUIC probes), which stall page loads on a machine whose network is closed.
    private static readonly string[] Switches =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
    ];

    private Chromium(IPlaywright playwright, IBrowser browser)
    {
        Playwright = playwright;
        Browser = browser;
    }

    public static bool IsInstalled => File.Exists(ExecutablePath);

    public IPlaywright Playwright { get; }

    public IBrowser Browser { get; }

    /// <summary>Starts Playwright's driver and one headless Chromium; a clear error when Chromium is not installed.</summary>
    public static async Task<Chromium> LaunchAsync()
    {
        if (!IsInstalled)
        {
            throw new InvalidOperationException($"Chromium is not installed at {ExecutablePath}: apt-get install chromium (./test.sh does this as root).");
        }

        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = Switches,
            });
            return new Chromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }
}
