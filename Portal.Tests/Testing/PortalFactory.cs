using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using QuorumPortal.Portal.Api;

namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>The portal in-process, with its data in a temporary directory that is deleted afterwards.</summary>
public sealed class PortalFactory : WebApplicationFactory<Program>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public PortalFactory()
        : this(new Dictionary<string, string?>())
    {
    }

    public PortalFactory(IReadOnlyDictionary<string, string?> settings)
    {
        Settings = settings;
    }

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "qp-portal-" + Guid.NewGuid().ToString("N"));

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

    public async Task<IReadOnlyList<EnsembleDto>> GetEnsemblesAsync(HttpClient client, CancellationToken cancellationToken = default) =>
        await client.GetFromJsonAsync<List<EnsembleDto>>("/api/ensembles", Json, cancellationToken) ?? [];

    /// <summary>
    /// Polls <c>/api/ensembles</c> every 50 ms until <paramref name="condition"/> holds or <paramref name="timeout"/>
    /// passes; the poll interval only paces the requests, the wait is on the condition.
    /// </summary>
    public async Task<IReadOnlyList<EnsembleDto>> WaitForEnsemblesAsync(HttpClient client, Func<IReadOnlyList<EnsembleDto>, bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        IReadOnlyList<EnsembleDto> last = [];
        while (!deadline.IsCancellationRequested)
        {
            last = await GetEnsemblesAsync(client, CancellationToken.None);
            if (condition(last))
            {
                return last;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        throw new TimeoutException($"condition not met within {timeout}; last /api/ensembles: {JsonSerializer.Serialize(last, Json)}");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
