using System.Text.Json;
using System.Text.Json.Nodes;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Workloads;

namespace QuorumPortal.Portal.Api;

/// <summary>
/// <c>/api/ensembles/{name}/workload</c>: start (POST a spec; an empty body starts the defaults), stop (DELETE,
/// <c>?deleteKeySpace=true</c> to delete its znodes) and read (GET) the ensemble's workload. Errors are ProblemDetails.
/// </summary>
public static class WorkloadEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The fields a spec may have, as JSON names them, with what each must be.</summary>
    private static readonly Dictionary<string, string> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["operationsPerSecond"] = "a whole number of operations per second",
        ["writeFraction"] = "a number from 0 to 1",
        ["valueSize"] = "a whole number of bytes",
        ["sessions"] = "a whole number",
        ["keys"] = "a whole number",
        ["rootPath"] = "a znode path such as " + WorkloadSpec.DefaultRootPath,
    };

    public static IEndpointRouteBuilder MapWorkloadApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/ensembles/{name}/workload");
        api.MapPost("", StartAsync);
        api.MapDelete("", StopAsync);
        api.MapGet("", (string name, WorkloadManager workloads) =>
            workloads.TryGet(name, out var status)
                ? Results.Ok(WorkloadStatusDto.From(status))
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No workload", detail: $"no workload has run on {name} since the portal started"));
        return endpoints;
    }

    private static async Task<IResult> StartAsync(string name, HttpRequest request, EnsembleRegistry registry, WorkloadManager workloads)
    {
        if (!registry.TryGet(name, out _))
        {
            return UnknownEnsemble(name);
        }

        var (spec, errors) = await ReadSpecAsync(request);
        if (spec is not null)
        {
            errors = spec.Validate().GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Rule).ToArray());
        }

        if (spec is null || errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The workload spec is not valid", detail: "Nothing was started.");
        }

        try
        {
            var status = workloads.Start(name, spec);
            return Results.Accepted($"/api/ensembles/{name}/workload", WorkloadStatusDto.From(status));
        }
        catch (WorkloadConflictException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "A workload is already running", detail: e.Message);
        }
        catch (KeyNotFoundException)
        {
            // Removed between the check and the start.
            return UnknownEnsemble(name);
        }
    }

    private static async Task<IResult> StopAsync(string name, bool? deleteKeySpace, WorkloadManager workloads, CancellationToken cancellationToken)
    {
        var stopped = await workloads.StopAsync(name, deleteKeySpace ?? false, cancellationToken);
        return stopped is null
            ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No workload", detail: $"no workload is running on {name}")
            : Results.Ok(WorkloadStatusDto.From(stopped));
    }

    /// <summary>The spec in the body, or why it cannot be read, per field; an empty body is the default spec.</summary>
    private static async Task<(WorkloadSpec? Spec, Dictionary<string, string[]> Errors)> ReadSpecAsync(HttpRequest request)
    {
        JsonNode? body;
        try
        {
            body = request.ContentLength == 0 ? null : await JsonNode.ParseAsync(request.Body, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            return (null, new() { ["body"] = [$"is not valid JSON: {e.Message}"] });
        }

        if (body is null)
        {
            return (new WorkloadSpec(), []);
        }

        if (body is not JsonObject fields)
        {
            return (null, new() { ["body"] = [$"must be a JSON object with any of the fields {string.Join(", ", Fields.Keys)}"] });
        }

        // "summary" is in what GET returns; a script may send a status's spec back unchanged.
        var unknown = fields.Where(f => !Fields.ContainsKey(f.Key) && !f.Key.Equals("summary", StringComparison.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0)
        {
            return (null, unknown.ToDictionary(f => f.Key, _ => new[] { $"is not a workload field; the fields are {string.Join(", ", Fields.Keys)}" }));
        }

        try
        {
            return (fields.Deserialize<WorkloadSpec>(Json), []);
        }
        catch (JsonException e) when (e.Path is { Length: > 2 } path && Fields.ContainsKey(path[2..]))
        {
            var sent = path[2..];
            var field = Fields.Keys.First(k => k.Equals(sent, StringComparison.OrdinalIgnoreCase));
            return (null, new() { [field] = [$"must be {Fields[field]} (was {fields[sent]?.ToJsonString() ?? "null"})"] });
        }
        catch (JsonException e)
        {
            return (null, new() { ["body"] = [$"cannot be read as a workload spec: {e.Message}"] });
        }
    }

    private static IResult UnknownEnsemble(string name) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such ensemble", detail: $"there is no ensemble named '{name}'");
}
