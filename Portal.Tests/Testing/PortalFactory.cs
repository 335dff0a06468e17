using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using QuorumPortal.Portal.Api;

namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>The portal in-process, with its data in a temporary directory that is deleted afterwards.</summary>
public sealed class PortalFactory : WebApplicationFactory<Program>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly bool _ownsDataDirectory;

    public PortalFactory()
        : this(new Dictionary<string, string?>())
    {
    }

    /// <param name="dataDirectory">
    /// An existing data directory to run on (a restarted portal), left in place at dispose: the caller deletes it.
    /// Default: a new temporary directory, deleted at dispose.
    /// </param>
    public PortalFactory(IReadOnlyDictionary<string, string?> settings, string? dataDirectory = null)
    {
        Settings = settings;
        DataDirectory = dataDirectory ?? NewDataDirectory();
        _ownsDataDirectory = dataDirectory is null;
    }

    public string DataDirectory { get; }

    /// <summary>How the portal's API writes JSON (web casing, enums by name).</summary>
    public static JsonSerializerOptions JsonOptions => Json;

    /// <summary>A fresh temporary directory path (not created), for portals that share it across a restart.</summary>
    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "qp-portal-" + Guid.NewGuid().ToString("N"));

    public IReadOnlyDictionary<string, string?> Settings { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Portal:DataDirectory", DataDirectory);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>
    /// Serves the portal on Kestrel on a free loopback port instead of the in-memory test server, so a real browser
    /// can open it, and returns its address. Call before anything else starts the host.
    /// </summary>
    public Uri StartKestrel()
    {
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        return new Uri(addresses.Single());
    }

    public async Task<IReadOnlyList<EnsembleDto>> GetEnsemblesAsync(HttpClient client, CancellationToken cancellationToken = default) =>
        await client.GetFromJsonAsync<List<EnsembleDto>>("/api/ensembles", Json, cancellationToken) ?? [];

    /// <summary>
    /// Polls <c>/api/ensembles</c> every 50 ms until <paramref name="condition"/> holds or <paramref name="timeout"/>
    /// passes; the poll interval only paces the requests, the wait is on the condition.
    /// </summary>
    public Task<IReadOnlyList<EnsembleDto>> WaitForEnsemblesAsync(HttpClient client, Func<IReadOnlyList<EnsembleDto>, bool> condition, TimeSpan timeout) =>
        Eventually.WaitAsync(() => GetEnsemblesAsync(client, CancellationToken.None), condition, timeout, "the condition on /api/ensembles");

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDataDirectory && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
