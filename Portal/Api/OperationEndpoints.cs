using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Persistence;

namespace QuorumPortal.Portal.Api;

/// <summary>The operation journal, settings versions and event history, read-only, as JSON.</summary>
public static class OperationEndpoints
{
    public const int MaxLimit = 10_000;

    public static IEndpointRouteBuilder MapOperationApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");

        // GET /api/operations?ensemble=&limit= : newest first.
        api.MapGet("/operations", async (string? ensemble, string? limit, IOperationJournal journal, CancellationToken ct) =>
            ApiQuery.TryLimit(limit, 100, MaxLimit, out var count, out var error)
                ? Results.Ok(await journal.ListAsync(ApiQuery.Filter(ensemble), count, ct))
                : error!);

        api.MapGet("/operations/{id}", async (string id, IOperationJournal journal, CancellationToken ct) =>
        {
            if (!Guid.TryParse(id, out var guid))
            {
                return ApiQuery.BadRequest($"id: '{id}' is not an operation id (a GUID)");
            }

            return await journal.GetAsync(guid, ct) is { } record ? Results.Ok(record) : Results.NotFound(new ApiError($"no operation {guid}"));
        });

        // GET /api/ensembles/{name}/settings/versions : newest first; 404 when the ensemble has none.
        api.MapGet("/ensembles/{name}/settings/versions", async (string name, ISettingsHistory history, CancellationToken ct) =>
            await history.ListAsync(name, ct) is { Count: > 0 } versions
                ? Results.Ok(versions)
                : Results.NotFound(new ApiError($"no settings versions for ensemble '{name}'")));

        // GET /api/events?ensemble=&kind=&from=&to=&limit= : the event history, newest first.
        api.MapGet("/events", async (string? ensemble, string? kind, string? from, string? to, string? limit, IEventHistory history, CancellationToken ct) =>
        {
            if (!ApiQuery.TryTime("from", from, out var since, out var error)
                || !ApiQuery.TryTime("to", to, out var until, out error)
                || !ApiQuery.TryLimit(limit, 500, MaxLimit, out var count, out error))
            {
                return error!;
            }

            EnsembleEventKind[] kinds = [];
            if (ApiQuery.Filter(kind) is { } text)
            {
                if (!Enum.TryParse<EnsembleEventKind>(text, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                {
                    return ApiQuery.BadRequest($"kind: '{text}' is not an event kind ({string.Join(", ", Enum.GetNames<EnsembleEventKind>())})");
                }

                kinds = [parsed];
            }

            var query = new EventHistoryQuery { Ensemble = ApiQuery.Filter(ensemble), From = since, To = until, Kinds = kinds, Limit = count };
            return Results.Ok(await history.QueryAsync(query, ct));
        });
        return endpoints;
    }
}
