using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace QuorumPortal.Portal.Hubs;

/// <summary>Wiring of <see cref="EnsembleHub"/>; needs an <see cref="Engine.Monitoring.EnsembleRegistry"/> registered.</summary>
public static class EnsembleHubExtensions
{
    /// <summary>SignalR with the hub's JSON, the fan-out (a hosted service) and <see cref="EnsembleHubOptions"/> from <c>Portal:Hub</c>.</summary>
    public static WebApplicationBuilder AddEnsembleHub(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<EnsembleHubOptions>()
            .Bind(builder.Configuration.GetSection(EnsembleHubOptions.SectionName))
            .Validate(
                o => o.MaxPendingBatches is >= 1 and <= EnsembleHubOptions.MaxPendingBatchesLimit,
                $"{EnsembleHubOptions.SectionName}:MaxPendingBatches must be between 1 and {EnsembleHubOptions.MaxPendingBatchesLimit}.")
            .ValidateOnStart();
        services.AddSignalR().AddJsonProtocol(o => EnsembleHubJson.Configure(o.PayloadSerializerOptions));
        services.AddSingleton<EnsembleHubFanout>();
        services.AddHostedService(sp => sp.GetRequiredService<EnsembleHubFanout>());

        // A closed registration wins over SignalR's open-generic default for this hub only.
        services.AddSingleton<HubLifetimeManager<EnsembleHub>, EnsembleHubLifetimeManager>();
        return builder;
    }

    public static IEndpointRouteBuilder MapEnsembleHub(this IEndpointRouteBuilder endpoints)
    {
        // No authentication yet, like the pages; when the portal gets it, this endpoint takes the same policy.
        endpoints.MapHub<EnsembleHub>(EnsembleHub.Path);
        return endpoints;
    }
}
