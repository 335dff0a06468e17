using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Engine.Tests.Testing;
using QuorumPortal.Engine.ZooKeeper;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Hosting;
using QuorumPortal.Portal.Tests.Testing;
using Xunit.Abstractions;

namespace QuorumPortal.Portal.Tests.Hosting;

/// <summary>Ensembles other than the demo: created through the launcher, brought back from the catalog.</summary>
public sealed class EnsembleLauncherTests(ITestOutputHelper output) : DataDirectoryTest
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static readonly Dictionary<string, string?> NoDemo = new() { ["Portal:DemoEnsemble"] = "false" };

    [Fact]
    public async Task CreateAsync_CredentialsNotConfigured_RefusedNothingStoredAuditedFailed()
    {
        await using var portal = new PortalFactory(NoDemo, DataDirectory);
        using var client = portal.CreateClient();
        var attached = AttachedWithoutCredentials();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            portal.Services.GetRequiredService<EnsembleLauncher>().CreateAsync(attached, "alice", "attach prod", CancellationToken.None));

        Assert.Contains("Portal:Credentials:prod-super:User", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await portal.Services.GetRequiredService<IEnsembleCatalog>().ListAsync(CancellationToken.None));
        Assert.False(portal.Services.GetRequiredService<EnsembleRegistry>().TryGet("prod", out _));
        var entry = Assert.Single((await client.GetFromJsonAsync<List<AuditEntry>>("/api/audit?ensemble=prod", PortalFactory.JsonOptions))!);
        Assert.Equal(("alice", "CreateEnsemble", "Failed", "attach prod"), (entry.Actor, entry.Action, entry.Result, entry.Reason));
        Assert.Equal("127.0.0.1:1", entry.Parameters["location"]);
    }

    [Fact]
    public async Task Start_CatalogEnsembleCannotComeBack_OthersStartKeptInCatalogAuditedFailed()
    {
        var attached = AttachedWithoutCredentials();
        await using (var database = TestDatabase.Open(DataDirectory))
        {
            await database.MigrateAsync();
            await new SqliteEnsembleCatalog(database, TimeProvider.System).AddAsync(attached, CancellationToken.None);
        }

        await using var portal = new PortalFactory(new Dictionary<string, string?>(), DataDirectory);
        using var client = portal.CreateClient();

        var registry = portal.Services.GetRequiredService<EnsembleRegistry>();
        Assert.True(registry.TryGet(EnsembleHostedService.DemoName, out _), "the demo must start although prod cannot");
        Assert.False(registry.TryGet("prod", out _));
        Assert.Contains(await portal.Services.GetRequiredService<IEnsembleCatalog>().ListAsync(CancellationToken.None), e => e.Name == "prod");
        var entry = Assert.Single((await client.GetFromJsonAsync<List<AuditEntry>>("/api/audit?ensemble=prod", PortalFactory.JsonOptions))!);
        Assert.Equal(("system", EnsembleHostedService.RestoreAction, "Failed", "portal start"), (entry.Actor, entry.Action, entry.Result, entry.Reason));
        Assert.Contains("Portal:Credentials:prod-super:User", entry.Detail, StringComparison.Ordinal);
        Assert.Equal("127.0.0.1:1", entry.Parameters["location"]);

        // And the overview has it to show, with the same error, as of the start.
        var failure = Assert.Single(portal.Services.GetRequiredService<EnsembleRestoreFailures>().Failures);
        Assert.Equal(("prod", BackendKind.AttachedZooKeeper, "127.0.0.1:1", entry.Detail), (failure.Name, failure.Ensemble.Backend, failure.Ensemble.ConnectionString, failure.Error));
        Assert.InRange(failure.At, entry.At.AddMinutes(-1), entry.At);
    }

    [ZooKeeperFact]
    public async Task Start_LocalZooKeeperInCatalog_LiveMembersAdoptedDeadOneStarted()
    {
        var root = Path.Combine(DataDirectory, "ensembles", "zk");
        var spec = EnsembleSpec.OfSize("zk", 3, EnsembleSettings.Fast, BackendKind.LocalZooKeeper);
        try
        {
            // As a portal that crashed leaves it: catalogued, two members still running, one dead.
            var crashed = new LocalZooKeeperEnsemble(spec, root);
            await crashed.StartAsync(CancellationToken.None);
            await crashed.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, Deadline);
            await crashed.StopMemberAsync(3, StopMode.Kill, CancellationToken.None);
            var pids = crashed.Supervisor.Members.ToDictionary(m => m.ServerId, m => m.ProcessId);
            output.WriteLine($"left running: {string.Join(", ", pids.Select(p => $"server.{p.Key} pid {p.Value}"))}");
            await using (var database = TestDatabase.Open(DataDirectory))
            {
                await database.MigrateAsync();
                await new SqliteEnsembleCatalog(database, TimeProvider.System).AddAsync(StoredEnsemble.For(spec with { Members = crashed.Configuration }, Path.Combine("ensembles", "zk")), CancellationToken.None);
            }

            await using var portal = new PortalFactory(NoDemo, DataDirectory);
            using var client = portal.CreateClient();
            Assert.True(portal.Services.GetRequiredService<EnsembleRegistry>().TryGet("zk", out var zk));
            await zk.Backend.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, Deadline);

            var supervisor = Assert.IsType<LocalZooKeeperEnsemble>(zk.Backend).Supervisor;
            Assert.All([1, 2], id =>
            {
                Assert.True(supervisor.Member(id).WasAdopted, $"server.{id} should be adopted");
                Assert.Equal(pids[id], supervisor.Member(id).ProcessId);
            });
            Assert.False(supervisor.Member(3).WasAdopted);
            Assert.NotNull(supervisor.Member(3).ProcessId);
        }
        finally
        {
            // Whatever still runs (an assertion failed before the portal stopped them) is stopped here.
            var leftovers = new LocalZooKeeperEnsemble(spec, root);
            foreach (var member in leftovers.Supervisor.Members.Where(m => m.TryAdopt()))
            {
                await member.StopAsync(StopMode.Kill, CancellationToken.None);
            }
        }
    }

    /// <summary>An attached ensemble naming credentials the configuration does not have: it cannot be opened.</summary>
    private static StoredEnsemble AttachedWithoutCredentials() => new()
    {
        Name = "prod",
        Backend = BackendKind.AttachedZooKeeper,
        Members = [],
        ConnectionString = "127.0.0.1:1",
        CredentialsReference = "prod-super",
    };
}
