using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Embedded.Storage;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Embedded;

/// <summary>
/// The embedded backend in real time, on real threads, as the portal runs it. What every backend must do
/// is in <see cref="Backends.BackendContract"/>; this class holds what is particular to this one.
/// </summary>
public sealed class EmbeddedEnsembleTests(ITestOutputHelper output) : IDisposable
{
    private static readonly EnsembleSettings Fast = new() { TickTime = 100, InitLimit = 10, SyncLimit = 5 };
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "qp-embedded-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Client_WriteThenRead_SeesItsWriteOnEveryMember()
    {
        await using var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("rw", 3, Fast));
        await ensemble.StartAsync(CancellationToken.None);
        await WaitForLeaderAsync(ensemble);

        await using var client = await ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        var path = await client.CreateAsync("/app", Encoding.UTF8.GetBytes("v1"));
        var stat = await client.SetDataAsync("/app", Encoding.UTF8.GetBytes("v2"), expectedVersion: 0);
        var error = await Assert.ThrowsAsync<CoordinationException>(() => client.SetDataAsync("/app", Encoding.UTF8.GetBytes("v3"), expectedVersion: 0));
        var seq = await client.CreateAsync("/app/item-", ReadOnlyMemory<byte>.Empty, CreateMode.PersistentSequential);

        Assert.Equal("/app", path);
        Assert.Equal(1, stat.Version);
        Assert.Equal(CoordinationError.BadVersion, error.Error);
        Assert.Equal("/app/item-0000000000", seq);
        foreach (var id in new[] { 1, 2, 3 })
        {
            await using var reader = await ensemble.OpenClientAsync(new ClientOptions { ServerIds = [id] }, CancellationToken.None);
            await reader.SyncAsync();
            var data = await reader.GetDataAsync("/app");
            Assert.Equal("v2", Encoding.UTF8.GetString(data.Data));
            Assert.Equal(["item-0000000000"], await reader.GetChildrenAsync("/app"));
        }
    }

    [Theory]
    [InlineData(0)] // a thread per member
    [InlineData(1)] // every member on one thread
    [InlineData(null)] // the default: a thread per core, at least two
    public async Task LoopThreads_AnyCount_ElectsAndCommitsOnEveryMember(int? loopThreads)
    {
        await using var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("threads", 3, Fast), options: new EmbeddedOptions { LoopThreads = loopThreads });
        await ensemble.StartAsync(CancellationToken.None);
        await WaitForLeaderAsync(ensemble);
        await using (var writer = await ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None))
        {
            await writer.CreateAsync("/shared", Encoding.UTF8.GetBytes("on every member"));
        }

        foreach (var id in new[] { 1, 2, 3 })
        {
            await using var reader = await ensemble.OpenClientAsync(new ClientOptions { ServerIds = [id] }, CancellationToken.None);
            await reader.SyncAsync();
            Assert.Equal("on every member", Encoding.UTF8.GetString((await reader.GetDataAsync("/shared")).Data));
        }
    }

    [Fact]
    public void Constructor_NegativeLoopThreads_RefusedNamingTheOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new EmbeddedEnsemble(EnsembleSpec.OfSize("threads", 3, Fast), options: new EmbeddedOptions { LoopThreads = -1 }));

        Assert.Contains("EmbeddedOptions.LoopThreads", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_MemberNeverAnswers_FailsWithConnectionLossAfterRequestTimeout()
    {
        await using var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("silent", 3, Fast));
        await ensemble.StartAsync(CancellationToken.None);
        await WaitForLeaderAsync(ensemble);
        await using var client = await ensemble.OpenClientAsync(
            new ClientOptions { ServerIds = [1], RequestTimeout = TimeSpan.FromMilliseconds(300) }, CancellationToken.None);
        using var release = new ManualResetEventSlim();

        // Member 1's loop hangs, so nothing sent to it is answered (a stuck member, not a closed connection).
        ensemble.RunningPeer(1)!.Loop.Post(() => release.Wait(TimeSpan.FromSeconds(30)));
        CoordinationException error;
        try
        {
            error = await Assert.ThrowsAsync<CoordinationException>(() => client.GetDataAsync("/zookeeper/config"));
        }
        finally
        {
            release.Set(); // even when the assertion fails, or disposing the ensemble waits for the hung loop
        }

        Assert.Equal(CoordinationError.ConnectionLoss, error.Error);
        Assert.Contains("no answer within 0.3 s", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FsyncPolicy.Batched)] // each member's log written by its log-writer thread
    [InlineData(FsyncPolicy.Off)] // written by the member's loop
    public async Task KillAll_ThenNewProcess_RecoversFromItsDirectories(FsyncPolicy fsync)
    {
        var spec = EnsembleSpec.OfSize("disk", 3, Fast);
        var options = new EmbeddedOptions { Fsync = fsync };
        await using (var ensemble = new EmbeddedEnsemble(spec, _directory, options))
        {
            output.WriteLine($"seed {ensemble.Seed}");
            await ensemble.StartAsync(CancellationToken.None);
            await WaitForLeaderAsync(ensemble);
            await using var client = await ensemble.OpenClientAsync(new ClientOptions(), CancellationToken.None);
            for (var i = 0; i < 20; i++)
            {
                await client.CreateAsync($"/d{i}", Encoding.UTF8.GetBytes($"{i}"));
            }

            await ensemble.StopAsync(StopMode.Kill, CancellationToken.None);
        }

        Assert.True(File.Exists(Path.Combine(_directory, "server.1", "version-2", "currentEpoch")));
        await using var restarted = new EmbeddedEnsemble(spec, _directory, options);
        await restarted.StartAsync(CancellationToken.None);
        await WaitForLeaderAsync(restarted);
        await using var reader = await restarted.OpenClientAsync(new ClientOptions(), CancellationToken.None);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"{i}", Encoding.UTF8.GetString((await reader.GetDataAsync($"/d{i}")).Data));
        }
    }

    [Theory]
    [InlineData(null, FsyncPolicy.Batched, true)]
    [InlineData(null, FsyncPolicy.Always, true)]
    [InlineData(null, FsyncPolicy.Off, false)]
    [InlineData(true, FsyncPolicy.Off, true)]
    [InlineData(false, FsyncPolicy.Batched, false)]
    public void UsesLogWriterThread_ByDefault_OnlyWhenTheLogIsSynced(bool? logWriterThread, FsyncPolicy fsync, bool expected) =>
        Assert.Equal(expected, new EmbeddedOptions { Fsync = fsync, LogWriterThread = logWriterThread }.UsesLogWriterThread);

    [Fact]
    public async Task Reconfigure_DuplicateServerId_RefusedAndNothingChanges()
    {
        await using var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize("dup", 3, Fast));
        await ensemble.StartAsync(CancellationToken.None);
        await WaitForLeaderAsync(ensemble);

        var error = await Assert.ThrowsAsync<ValidationException>(() => ensemble.ProvisionMemberAsync(new MemberSpec { ServerId = 2 }, CancellationToken.None));

        Assert.Contains(error.Errors, e => e.Rule.Contains("already used", StringComparison.Ordinal));
        Assert.Equal(3, ensemble.Members.Count);
    }

    private static Task<EnsembleSnapshot> WaitForLeaderAsync(EmbeddedEnsemble ensemble) =>
        ensemble.WaitForAsync(s => s.HasQuorum, TimeSpan.FromSeconds(20));
}
