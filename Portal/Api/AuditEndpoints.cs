using System.Text;
using QuorumPortal.Portal.Data;

namespace QuorumPortal.Portal.Api;

/// <summary>The audit log: <c>GET /api/audit</c> as JSON, <c>GET /api/audit.csv</c> as a CSV download; the same filters.</summary>
public static class AuditEndpoints
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");
        api.MapGet("/audit", async (string? ensemble, string? actor, string? action, string? from, string? to, string? limit, AuditLog audit, CancellationToken ct) =>
            TryQuery(ensemble, actor, action, from, to, limit, 1000, out var query, out var error)
                ? Results.Ok(await audit.QueryAsync(query!, ct))
                : error!);

        // Every matching entry unless a limit is given, streamed as it is read.
        api.MapGet("/audit.csv", (string? ensemble, string? actor, string? action, string? from, string? to, string? limit, AuditLog audit) =>
            TryQuery(ensemble, actor, action, from, to, limit, null, out var query, out var error)
                ? Results.Stream(
                    async body =>
                    {
                        var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                        await using (writer.ConfigureAwait(false))
                        {
                            await AuditCsv.WriteAsync(audit.StreamAsync(query!, CancellationToken.None), writer, CancellationToken.None).ConfigureAwait(false);
                        }
                    },
                    "text/csv; charset=utf-8",
                    "audit.csv")
                : error!);
        return endpoints;
    }

    private static bool TryQuery(string? ensemble, string? actor, string? action, string? from, string? to, string? limit, int? fallback, out AuditQuery? query, out IResult? error)
    {
        query = null;
        if (!ApiQuery.TryTime("from", from, out var since, out error) || !ApiQuery.TryTime("to", to, out var until, out error))
        {
            return false;
        }

        int? count = fallback;
        if (ApiQuery.Filter(limit) is not null)
        {
            if (!ApiQuery.TryLimit(limit, 1000, int.MaxValue, out var parsed, out error))
            {
                return false;
            }

            count = parsed;
        }

        query = new AuditQuery
        {
            Ensemble = ApiQuery.Filter(ensemble),
            Actor = ApiQuery.Filter(actor),
            Action = ApiQuery.Filter(action),
            From = since,
            To = until,
            Limit = count,
        };
        return true;
    }
}
