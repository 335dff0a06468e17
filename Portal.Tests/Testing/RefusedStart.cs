using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace QuorumPortal.Portal.Tests.Testing;

internal static class RefusedStart
{
    /// <summary>
    /// Starts the portal's own wiring on a test server with <paramref name="settings"/> and returns the validation
    /// error it must stop with. Not WebApplicationFactory: when the app fails to start, its deferred host can race
    /// the app's disposal and report ObjectDisposedException instead of the cause.
    /// </summary>
    public static async Task<OptionsValidationException> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ApplicationName = typeof(Program).Assembly.GetName().Name });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPortal();
        await using var app = builder.Build();
        app.MapPortal();

        return await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
    }
}
