using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Api;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Tests.Data;
using QuorumPortal.Portal.Tests.Testing;
using static QuorumPortal.Portal.Tests.Testing.EnsembleConditions;

namespace QuorumPortal.Portal.Tests.Api;

/// <summary>The operations, audit, settings-version and event APIs over the live demo and its database.</summary>
public sealed class HistoryApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly PortalFactory _factory = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        await _factory.WaitForEnsemblesAsync(_client, e => IsSettled(Demo(e)), Deadline);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [Theory]
    [InlineData("/api/audit?from=yesterday", "from: 'yesterday' is not a date and time")]
    [InlineData("/api/audit.csv?to=13/45/2025", "to: '13/45/2025' is not a date and time")]
    [InlineData("/api/audit?limit=0", "limit: '0' must be a whole number")]
    [InlineData("/api/operations?limit=-5", "limit: '-5' must be a whole number")]
    [InlineData("/api/operations/not-a-guid", "id: 'not-a-guid' is not an operation id")]
    [InlineData("/api/events?kind=Heartbeat", "kind: 'Heartbeat' is not an event kind")]
    public async Task Get_BadQueryValue_BadRequestNamingIt(string url, string message)
    {
        var response = await _client.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(message, (await response.Content.ReadFromJsonAsync<ApiError>())!.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSettingsVersions_NewDemo_VersionOneBySystemUnknownEnsemble404()
    {
        var versions = await _client.GetFromJsonAsync<List<SettingsVersion>>("/api/ensembles/demo/settings/versions", PortalFactory.JsonOptions);
        var unknown = await _client.GetAsync("/api/ensembles/nope/settings/versions");

        var v1 = Assert.Single(versions!);
        Assert.Equal((1, "system"), (v1.Version, v1.ChangedBy));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Failover_ThroughCoordinator_ListedAuditedAndExportedAsCsvWithTheSameFilters()
    {
        Assert.True(_factory.Services.GetRequiredService<EnsembleRegistry>().TryGet("demo", out var demo));
        var coordinator = _factory.Services.GetRequiredService<OperationCoordinator>();

        // A failover needs a leader serving with a quorum; on a loaded machine the demo may still be electing one.
        await demo.Backend.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, Deadline);
        var start = await coordinator.StartAsync(demo.Backend, new FailoverOperation(FailoverMode.RestartLeader), new OperationRequest("dave, ops", "drill \"A\""), CancellationToken.None);
        Assert.True(start.Started, start.Message);
        var done = await start.Completion.WaitAsync(Deadline);
        Assert.Equal(OperationState.Succeeded, done.State);

        var listed = await _client.GetFromJsonAsync<List<OperationRecord>>("/api/operations?ensemble=demo", PortalFactory.JsonOptions);
        var one = await _client.GetFromJsonAsync<OperationRecord>($"/api/operations/{done.Id}", PortalFactory.JsonOptions);
        var audited = await Eventually.WaitAsync(
            () => _client.GetFromJsonAsync<List<AuditEntry>>("/api/audit?ensemble=demo&action=Failover", PortalFactory.JsonOptions)!,
            entries => entries!.Count > 0, Deadline, "the failover's audit entry");
        var csv = await _client.GetAsync("/api/audit.csv?ensemble=demo&action=Failover");
        var rows = AuditLogTests.ParseCsv(await csv.Content.ReadAsStringAsync());

        Assert.Equal(done.Id, Assert.Single(listed!).Id);
        Assert.Equal(done.Steps, one!.Steps);
        var entry = Assert.Single(audited!);
        Assert.Equal(("dave, ops", "Succeeded", "drill \"A\"", done.Id), (entry.Actor, entry.Result, entry.Reason, entry.OperationId!.Value));
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, rows.Count);
        Assert.Equal(["dave, ops", "demo", "Failover", "Succeeded", "drill \"A\""], new[] { rows[1][1], rows[1][2], rows[1][3], rows[1][5], rows[1][7] });
        Assert.Equal(done.Id.ToString(), rows[1][9]);
    }

    [Fact]
    public async Task GetAuditCsv_NoMatch_HeaderOnly()
    {
        var csv = await _client.GetStringAsync("/api/audit.csv?actor=nobody");

        Assert.Equal(string.Join(',', AuditCsv.Columns) + "\r\n", csv);
    }

    [Fact]
    public async Task GetEvents_LeaderKilled_NewLeaderInTheHistoryAndNoSamples()
    {
        var before = Demo(await _factory.GetEnsemblesAsync(_client))!;
        Assert.True(_factory.Services.GetRequiredService<EnsembleRegistry>().TryGet("demo", out var demo));
        await demo.Backend.StopMemberAsync(before.LeaderId!.Value, StopMode.Kill, CancellationToken.None);

        var elected = await Eventually.WaitAsync(
            () => _client.GetFromJsonAsync<List<RecordedEvent>>("/api/events?ensemble=demo&kind=LeaderElected", PortalFactory.JsonOptions)!,
            events => events!.Any(e => e.ServerId != before.LeaderId), Deadline, "a LeaderElected of another member in /api/events");
        var all = await _client.GetFromJsonAsync<List<RecordedEvent>>("/api/events?ensemble=demo", PortalFactory.JsonOptions);

        Assert.Contains(elected!, e => e.Summary.StartsWith($"server {e.ServerId} leads epoch", StringComparison.Ordinal));
        Assert.Contains(all!, e => e.Kind == EnsembleEventKind.LeaderLost && e.ServerId == before.LeaderId);
        Assert.DoesNotContain(all!, e => e.Kind is EnsembleEventKind.HeartbeatObserved or EnsembleEventKind.ThroughputSample or EnsembleEventKind.OperationProgressed);
    }
}
