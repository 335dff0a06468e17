using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Workloads;
using QuorumPortal.Portal.Api;
using QuorumPortal.Portal.Components;
using QuorumPortal.Portal.Configuration;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.History;
using QuorumPortal.Portal.Hosting;
using QuorumPortal.Portal.Hubs;

namespace QuorumPortal.Portal;

/// <summary>All of the portal's wiring, so <c>Program.cs</c> stays a few lines.</summary>
public static class PortalServiceCollectionExtensions
{
    /// <summary>Registers options, the engine's registry and streams, the hosted service and Blazor.</summary>
    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        // The shared assets in ../wwwroot-assets are served from the build's static web assets manifest. The host
        // reads that manifest only in Development; read it in every environment so a test host or a
        // `dotnet run -e Production` serves them too (a published app has them in wwwroot and no manifest).
        builder.WebHost.UseStaticWebAssets();

        var services = builder.Services;
        services.AddOptions<PortalOptions>()
            .Bind(builder.Configuration.GetSection(PortalOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PortalOptions>, ValidatePortalOptions>();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new EnsembleEventStreams(meterFactory: sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton(sp => new EnsembleRegistry(
            sp.GetRequiredService<EnsembleEventStreams>(),
            new EnsembleMonitorOptions { ProbeInterval = sp.GetRequiredService<IOptions<PortalOptions>>().Value.ProbeInterval },
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddPortalData(); // before the ensembles: migrations run first, recorders drain after the ensembles stop
        services.AddSingleton<EnsembleLauncher>();
        services.AddSingleton<NewEnsemble>();
        services.AddSingleton<EnsembleRestoreFailures>();
        services.AddSingleton<EnsembleRestoreActions>();
        services.AddHostedService<EnsembleHostedService>();
        services.AddSingleton(sp => new WorkloadManager(
            sp.GetRequiredService<EnsembleRegistry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));

        // After EnsembleHostedService, so the host stops it first: workloads end before their ensembles.
        services.AddHostedService<WorkloadHostedService>();

        // After the ensembles' hosted service, so its first scan finds the demo.
        services.AddSingleton<EnsembleHistoryService>();
        services.AddHostedService(sp => sp.GetRequiredService<EnsembleHistoryService>());

        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddRazorComponents().AddInteractiveServerComponents()
            // Pings every 5 s so a browser (portal.js: 12 s server timeout) notices a silent drop quickly.
            .AddHubOptions(o => o.KeepAliveInterval = TimeSpan.FromSeconds(5));
        services.AddMudServices();
        builder.AddEnsembleHub();
        return builder;
    }

    /// <summary>Maps static assets, the Blazor app and the JSON API.</summary>
    public static WebApplication MapPortal(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }

        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapEnsembleApi();
        app.MapEnsembleHub();
        app.MapWorkloadApi();
        app.MapOperationApi();
        app.MapAuditApi();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
