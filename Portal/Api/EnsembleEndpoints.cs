using QuorumPortal.Engine.Monitoring;

namespace QuorumPortal.Portal.Api;

/// <summary>A small JSON API for scripts and tests; the pages read the engine in-process.</summary>
public static class EnsembleEndpoints
{
    public static IEndpointRouteBuilder MapEnsembleApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");
        api.MapGet("/ensembles", (EnsembleRegistry registry) =>
            registry.Ensembles.Select(EnsembleDto.From).ToList());
        api.MapGet("/ensembles/{name}", (string name, EnsembleRegistry registry) =>
            registry.TryGet(name, out var e)
                ? Results.Ok(EnsembleDto.From(e))
                : Results.NotFound());
        return endpoints;
    }
}
