using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Backends;

/// <summary>The backend contract on real <c>QuorumPeerMain</c> processes (Debian's zookeeper package; ./test.sh installs it).</summary>
[Trait("Category", "ZooKeeper")]
public sealed class LocalZooKeeperBackendContractTests(ITestOutputHelper output) : BackendContract(output)
{
    protected override IEnsembleBackend Create(string name, int size, string dataDirectory)
    {
        var ensemble = new LocalZooKeeperEnsemble(EnsembleSpec.OfSize(name, size, Fast, BackendKind.LocalZooKeeper), dataDirectory);
        Output.WriteLine($"local ZooKeeper ensemble in {dataDirectory}: " +
            string.Join(", ", ensemble.Members.Select(m => $"server.{m.ServerId} client port {m.ClientPort}")));
        return ensemble;
    }

    protected override async Task StartUnreachableAsync(IEnsembleBackend backend, int serverId)
    {
        await backend.StartMemberAsync(serverId, CancellationToken.None);
        ((LocalZooKeeperEnsemble)backend).Supervisor.Member(serverId).Pause();
    }

    [Fact]
    public async Task Reconfigure_JoinerNotStarted_RefusedAndNothingChanges()
    {
        await using var scope = new Scope(this, 3);
        await scope.WaitForAsync(s => s.ServingVoters == 3);
        var joiner = await scope.Backend.ProvisionMemberAsync(new MemberSpec { ServerId = 4 }, CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => scope.Backend.ReconfigureAsync([joiner], [], CancellationToken.None));

        Assert.Contains("must be started", error.Message, StringComparison.Ordinal);
        Assert.Equal([1, 2, 3], scope.Backend.Configuration.Select(m => m.ServerId));
        await using var client = await scope.Backend.OpenClientAsync(new ClientOptions { ServerIds = [1, 2, 3] }, CancellationToken.None);
        await client.SyncAsync();
        var config = System.Text.Encoding.UTF8.GetString((await client.GetDataAsync("/zookeeper/config")).Data);
        Assert.Contains("server.3=", config, StringComparison.Ordinal);
        Assert.DoesNotContain("server.4=", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconfigure_TwoJoiningParticipants_RefusedOneAtATime()
    {
        await using var scope = new Scope(this, 3);
        await scope.WaitForAsync(s => s.ServingVoters == 3);
        var four = await scope.Backend.ProvisionMemberAsync(new MemberSpec { ServerId = 4 }, CancellationToken.None);
        var five = await scope.Backend.ProvisionMemberAsync(new MemberSpec { ServerId = 5 }, CancellationToken.None);

        var error = await Assert.ThrowsAsync<ValidationException>(() => scope.Backend.ReconfigureAsync([four, five], [], CancellationToken.None));

        Assert.Contains(error.Errors, e => e.Field == "joining");
        Assert.Equal(3, scope.Backend.Configuration.Count);
    }
}
