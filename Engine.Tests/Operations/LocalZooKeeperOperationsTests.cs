using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Operations;

/// <summary>The operations on real <c>QuorumPeerMain</c> processes (Debian's zookeeper package; ./test.sh installs it).</summary>
[Trait("Category", "ZooKeeper")]
public sealed class LocalZooKeeperOperationsTests(ITestOutputHelper output) : OperationsContract(output)
{
    protected override IEnsembleBackend Create(string name, int size, string dataDirectory)
    {
        var ensemble = new LocalZooKeeperEnsemble(EnsembleSpec.OfSize(name, size, Fast, BackendKind.LocalZooKeeper), dataDirectory);
        Output.WriteLine($"local ZooKeeper ensemble in {dataDirectory}: " +
            string.Join(", ", ensemble.Members.Select(m => $"server.{m.ServerId} client port {m.ClientPort}")));
        return ensemble;
    }
}
