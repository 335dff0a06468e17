using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Data;
using QuorumPortal.Portal.Hosting;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Hosting;

/// <summary>Ensembles of the catalog that failed to come back at start: tried again, or forgotten.</summary>
public sealed class EnsembleRestoreActionsTests : DataDirectoryTest
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly Dictionary<string, string?> NoDemo = new() { ["Portal:DemoEnsemble"] = "false" };

    [Fact]
    public async Task RetryAsync_CauseFixed_RunningAgainEntryGoneAuditedSucceeded()
    {
        await BrokenEnsemble.StoreAsync(DataDirectory);
        await using var portal = new PortalFactory(NoDemo, DataDirectory);
        var failures = portal.Services.GetRequiredService<EnsembleRestoreFailures>();
        Assert.Equal([BrokenEnsemble.Name], failures.Failures.Select(f => f.Name));
        var changes = 0;
        failures.Changed += () => Interlocked.Increment(ref changes);

        BrokenEnsemble.Unblock(DataDirectory);
        var result = await portal.Services.GetRequiredService<EnsembleRestoreActions>().RetryAsync(BrokenEnsemble.Name, "alice", CancellationToken.None);

        Assert.Equal(RestoreActionStatus.Succeeded, result.Status);
        Assert.Empty(failures.Failures);
        Assert.Equal(1, Volatile.Read(ref changes));
        Assert.True(portal.Services.GetRequiredService<EnsembleRegistry>().TryGet(BrokenEnsemble.Name, out var registered));
        await registered.Backend.WaitForAsync(s => s.HasQuorum && s.ServingVoters == 3, Deadline);
        var audited = await AuditOf(portal, BrokenEnsemble.Name);
        Assert.Equal([("alice", "Succeeded"), ("system", "Failed")], audited.Select(e => (e.Actor, e.Result)));
        Assert.All(audited, e => Assert.Equal(EnsembleHostedService.RestoreAction, e.Action));
        Assert.Equal(BrokenEnsemble.RelativeDirectory, audited[0].Parameters["location"]);
    }

    [Fact]
    public async Task RetryAsync_StillBroken_NewErrorAndTimeAuditedFailed()
    {
        await BrokenEnsemble.StoreAsync(DataDirectory);
        await using var portal = new PortalFactory(NoDemo, DataDirectory);
        var failures = portal.Services.GetRequiredService<EnsembleRestoreFailures>();
        Assert.True(failures.TryGet(BrokenEnsemble.Name, out var first));
        Assert.Contains("server.1", first.Error, StringComparison.Ordinal);

        // The operator fixes server.1, but server.2 is in the same state.
        BrokenEnsemble.Unblock(DataDirectory);
        BrokenEnsemble.Block(DataDirectory, 2);
        var result = await portal.Services.GetRequiredService<EnsembleRestoreActions>().RetryAsync(BrokenEnsemble.Name, "alice", CancellationToken.None);

        Assert.Equal(RestoreActionStatus.Failed, result.Status);
        Assert.True(failures.TryGet(BrokenEnsemble.Name, out var second));
        Assert.Contains("server.2", second.Error, StringComparison.Ordinal);
        Assert.Equal(second.Error, result.Message);
        Assert.True(second.At > first.At, $"tried again at {second.At:O}, first failure at {first.At:O}");
        Assert.False(portal.Services.GetRequiredService<EnsembleRegistry>().TryGet(BrokenEnsemble.Name, out _));
        Assert.NotNull(await portal.Services.GetRequiredService<IEnsembleCatalog>().GetAsync(BrokenEnsemble.Name, CancellationToken.None));
        var audited = await AuditOf(portal, BrokenEnsemble.Name);
        Assert.Equal([("alice", "Failed"), ("system", "Failed")], audited.Select(e => (e.Actor, e.Result)));
        Assert.Equal((second.Error, "tried again from the overview"), (audited[0].Detail, audited[0].Reason));
    }

    [Fact]
    public async Task RetryAsync_WhileARetryRuns_RefusedAndNotRunTwice()
    {
        // An attached ensemble whose server accepts the connection and never answers: a retry waits in its handshake.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using (var database = TestDatabase.Open(DataDirectory))
        {
            await database.MigrateAsync();
            await new SqliteEnsembleCatalog(database, TimeProvider.System).AddAsync(new StoredEnsemble
            {
                Name = "prod",
                Backend = BackendKind.AttachedZooKeeper,
                Members = [],
                ConnectionString = $"127.0.0.1:{port}",
                CredentialsReference = "prod-super",
            }, CancellationToken.None);
        }

        await using var portal = new PortalFactory(NoDemo, DataDirectory);
        var failures = portal.Services.GetRequiredService<EnsembleRestoreFailures>();
        Assert.True(failures.TryGet("prod", out var atStart), "prod names credentials the configuration lacks: it cannot come back");
        var configuration = portal.Services.GetRequiredService<IConfiguration>();
        configuration["Portal:Credentials:prod-super:User"] = "super";
        configuration["Portal:Credentials:prod-super:Password"] = "secret";
        var actions = portal.Services.GetRequiredService<EnsembleRestoreActions>();
        using var cancel = new CancellationTokenSource();

        var first = actions.RetryAsync("prod", "alice", cancel.Token);
        using var connection = await silent.AcceptSocketAsync().WaitAsync(Deadline);
        var second = await actions.RetryAsync("prod", "bob", CancellationToken.None);
        var forget = await actions.ForgetAsync("prod", "carol", CancellationToken.None);

        Assert.Equal(RestoreActionStatus.Refused, second.Status);
        Assert.StartsWith("A retry by alice (since ", second.Message, StringComparison.Ordinal);
        Assert.EndsWith("UTC) is already running on prod: nothing was done; wait for it to end.", second.Message, StringComparison.Ordinal);
        Assert.Equal(RestoreActionStatus.Refused, forget.Status);
        Assert.False(first.IsCompleted, "the first retry waits for the server's answer");
        Assert.False(silent.Pending(), "only the first retry connected");

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);

        // Cancelled, the entry is as it was; the refused ones changed nothing; all of it is in the audit log, newest first.
        Assert.True(failures.TryGet("prod", out var after));
        Assert.Same(atStart, after);
        var audited = await AuditOf(portal, "prod");
        Assert.Equal(
            [("alice", EnsembleHostedService.RestoreAction, "Failed"), ("carol", EnsembleRestoreActions.ForgetAction, "Refused"), ("bob", EnsembleHostedService.RestoreAction, "Refused"), ("system", EnsembleHostedService.RestoreAction, "Failed")],
            audited.Select(e => (e.Actor, e.Action, e.Result)));
        Assert.Equal("cancelled before it came back", audited[0].Detail);

        // With the first retry over, an action on prod is no longer refused.
        Assert.Equal(RestoreActionStatus.Succeeded, (await actions.ForgetAsync("prod", "carol", CancellationToken.None)).Status);
    }

    [Fact]
    public async Task RetryAsync_StartedMeanwhileByOtherMeans_RefusedNoLongerListed()
    {
        var stored = await BrokenEnsemble.StoreAsync(DataDirectory);
        await using var portal = new PortalFactory(NoDemo, DataDirectory);
        Assert.Single(portal.Services.GetRequiredService<EnsembleRestoreFailures>().Failures); // the host starts here
        BrokenEnsemble.Unblock(DataDirectory);
        await portal.Services.GetRequiredService<EnsembleLauncher>().LaunchAsync(stored, CancellationToken.None);

        var result = await portal.Services.GetRequiredService<EnsembleRestoreActions>().RetryAsync(BrokenEnsemble.Name, "alice", CancellationToken.None);

        Assert.Equal(RestoreActionStatus.Refused, result.Status);
        Assert.Equal("broken is running (it was started meanwhile): nothing was done, and it is no longer listed as not running.", result.Message);
        Assert.Empty(portal.Services.GetRequiredService<EnsembleRestoreFailures>().Failures);
        Assert.NotNull(await portal.Services.GetRequiredService<IEnsembleCatalog>().GetAsync(BrokenEnsemble.Name, CancellationToken.None));
        Assert.Equal(("alice", "Refused"), (await AuditOf(portal, BrokenEnsemble.Name)).Select(e => (e.Actor, e.Result)).First());
    }

    [Fact]
    public async Task ForgetAsync_BrokenEmbedded_OutOfCatalogDirectoryKeptAuditedNotTriedAtNextStart()
    {
        await BrokenEnsemble.StoreAsync(DataDirectory);
        var directory = BrokenEnsemble.DirectoryIn(DataDirectory);
        var files = Directory.GetFileSystemEntries(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        await using (var portal = new PortalFactory(NoDemo, DataDirectory))
        {
            var result = await portal.Services.GetRequiredService<EnsembleRestoreActions>().ForgetAsync(BrokenEnsemble.Name, "alice", CancellationToken.None);

            Assert.Equal(RestoreActionStatus.Succeeded, result.Status);
            Assert.Contains($"its data directory {directory} is left untouched", result.Message, StringComparison.Ordinal);
            Assert.Empty(portal.Services.GetRequiredService<EnsembleRestoreFailures>().Failures);
            Assert.Null(await portal.Services.GetRequiredService<IEnsembleCatalog>().GetAsync(BrokenEnsemble.Name, CancellationToken.None));
            Assert.Equal(files, Directory.GetFileSystemEntries(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            var entry = (await AuditOf(portal, BrokenEnsemble.Name))[0];
            Assert.Equal(("alice", EnsembleRestoreActions.ForgetAction, "Succeeded", "forgotten from the overview"), (entry.Actor, entry.Action, entry.Result, entry.Reason));
            Assert.Equal($"removed from the catalog; its data directory {directory} is left untouched (nothing on disk is deleted)", entry.Detail);
        }

        // Out of the catalog, the next start does not try it: nothing listed, nothing new in the audit log.
        await using var restarted = new PortalFactory(NoDemo, DataDirectory);
        Assert.Empty(restarted.Services.GetRequiredService<EnsembleRestoreFailures>().Failures);
        Assert.Equal([("alice", "Succeeded"), ("system", "Failed")], (await AuditOf(restarted, BrokenEnsemble.Name)).Select(e => (e.Actor, e.Result)));
    }

    [Fact]
    public async Task RetryAsync_NotListed_RefusedNothingDone()
    {
        await using var portal = new PortalFactory(NoDemo, DataDirectory);

        var result = await portal.Services.GetRequiredService<EnsembleRestoreActions>().RetryAsync("nowhere", "alice", CancellationToken.None);

        Assert.Equal(RestoreActionStatus.Refused, result.Status);
        Assert.Equal("nowhere is not among the ensembles that failed to come back (tried again or forgotten meanwhile?): nothing was done.", result.Message);
        Assert.False(portal.Services.GetRequiredService<EnsembleRegistry>().TryGet("nowhere", out _));
    }

    private static Task<IReadOnlyList<AuditEntry>> AuditOf(PortalFactory portal, string ensemble) =>
        portal.Services.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Ensemble = ensemble }, CancellationToken.None);
}
