using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Portal;

namespace QuorumPortal.Benchmarks;

/// <summary>
/// The portal built as its Program.cs builds it (<c>AddPortal</c>, <c>MapPortal</c>), in this process, on Kestrel on a
/// free loopback port, in the Production environment, with its data in a temporary directory deleted at the end.
/// Its log goes to standard error (warnings and up) so standard output ends with the RESULT line.
/// </summary>
internal sealed class PortalHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDirectory;

    private PortalHost(WebApplication app, string dataDirectory, Uri address)
    {
        _app = app;
        _dataDirectory = dataDirectory;
        Address = address;
    }

    public Uri Address { get; }

    public EnsembleRegistry Registry => _app.Services.GetRequiredService<EnsembleRegistry>();

    /// <summary>The portal's services, as its pages get them.</summary>
    public IServiceProvider Services => _app.Services;

    public static async Task<PortalHost> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"qp-bench-portal-{Guid.NewGuid():N}");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // The static web assets manifests beside this program are named after the portal's assembly.
            ApplicationName = typeof(PortalServiceCollectionExtensions).Assembly.GetName().Name,
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            ["Portal:DataDirectory"] = dataDirectory,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:QuorumPortal.Engine.Monitoring"] = "Error", // a lost leader is what the benchmarks cause
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.AddPortal();
        var app = builder.Build();
        app.MapPortal();
        await app.StartAsync();
        return new PortalHost(app, dataDirectory, new Uri(app.Urls.Single()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
