using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using QuorumPortal.Engine.Workloads;
using QuorumPortal.Portal.Api;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Api;

/// <summary><c>/api/ensembles/{name}/workload</c> against the portal's live embedded demo ensemble.</summary>
public sealed class WorkloadApiTests : PortalApiTest
{
    private const string Url = "/api/ensembles/demo/workload";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public async Task Post_InvalidSpec_400WithEveryFieldErrorAndNothingStarted()
    {
        var response = await PostAsync("""{ "operationsPerSecond": 0, "writeFraction": 50, "valueSize": 2000000 }""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Json);
        Assert.Equal(["operationsPerSecond", "valueSize", "writeFraction"], problem!.Errors.Keys.Order());
        Assert.Equal("must be between 1 and 100,000 operations per second (was 0)", Assert.Single(problem.Errors["operationsPerSecond"]));
        Assert.Contains("5000%", Assert.Single(problem.Errors["writeFraction"]), StringComparison.Ordinal);
        Assert.Contains("jute.maxbuffer", Assert.Single(problem.Errors["valueSize"]), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync(Url)).StatusCode);
    }

    [Theory]
    [InlineData("""{ "operationsPerSecond": "fast" }""", "operationsPerSecond", "must be a whole number of operations per second (was \"fast\")")]
    [InlineData("""{ "writeFraction": [0.5] }""", "writeFraction", "must be a number from 0 to 1 (was [0.5])")]
    [InlineData("""{ "rate": 200 }""", "rate", "is not a workload field; the fields are operationsPerSecond, writeFraction, valueSize, sessions, keys, rootPath")]
    [InlineData("""{ "operationsPerSecond": 200""", "body", "is not valid JSON")]
    [InlineData("""[200]""", "body", "must be a JSON object")]
    [InlineData("""{ "rootPath": "/zookeeper/load" }""", "rootPath", "must not be under /zookeeper")]
    public async Task Post_UnreadableSpec_400NamingTheField(string body, string field, string rule)
    {
        var response = await PostAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Json);
        Assert.StartsWith(rule, Assert.Single(Assert.Single(problem!.Errors, e => e.Key == field).Value), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_SecondStart_409NamingTheRunningOneThenDeleteStopsIt()
    {
        var first = await PostAsync("""{ "operationsPerSecond": 200, "writeFraction": 0.5, "keys": 10 }""");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(Url, first.Headers.Location?.OriginalString);
        var started = await first.Content.ReadFromJsonAsync<WorkloadStatusDto>(Json);
        Assert.Equal("demo", started!.Ensemble);
        Assert.Equal(200, started.Spec.OperationsPerSecond);

        var second = await PostAsync("""{ "operationsPerSecond": 5000, "valueSize": 10 }""");

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var problem = await second.Content.ReadFromJsonAsync<ProblemDetails>(Json);
        Assert.Matches("^a workload is already (running|starting) on demo since [0-9]{2}:[0-9]{2}:[0-9]{2}: 200 ops/s, 50% writes", problem!.Detail);

        var running = await WaitForAsync(s => s.State == WorkloadState.Running && s.Writes > 20 && s.Reads > 20);
        Assert.Equal(200, running.Spec.OperationsPerSecond);
        Assert.Null(running.LastError);

        var stop = await Client.DeleteAsync(Url + "?deleteKeySpace=true");
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        var stopped = await stop.Content.ReadFromJsonAsync<WorkloadStatusDto>(Json);
        Assert.Equal(WorkloadState.Stopped, stopped!.State);
        Assert.True(stopped.Writes >= running.Writes);
        Assert.Equal(WorkloadState.Stopped, (await GetAsync())!.State);
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("")).StatusCode);
    }

    [Fact]
    public async Task PostGetDelete_UnknownEnsembleOrNoWorkload_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Client.PostAsync("/api/ensembles/nope/workload", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync(Url)).StatusCode);
        var stop = await Client.DeleteAsync(Url);
        Assert.Equal(HttpStatusCode.NotFound, stop.StatusCode);
        Assert.Equal("no workload is running on demo", (await stop.Content.ReadFromJsonAsync<ProblemDetails>(Json))!.Detail);
    }

    private Task<HttpResponseMessage> PostAsync(string body) =>
        Client.PostAsync(Url, new StringContent(body, Encoding.UTF8, "application/json"));

    private async Task<WorkloadStatusDto?> GetAsync() => await Client.GetFromJsonAsync<WorkloadStatusDto>(Url, Json);

    private async Task<WorkloadStatusDto> WaitForAsync(Func<WorkloadStatusDto, bool> condition) =>
        (await Eventually.WaitAsync(GetAsync, s => s is not null && condition(s), Deadline, "the workload's expected status"))!;
}
