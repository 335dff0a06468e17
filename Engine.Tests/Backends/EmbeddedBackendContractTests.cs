using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Backends;

public sealed class EmbeddedBackendContractTests(ITestOutputHelper output) : BackendContract(output)
{
    protected override IEnsembleBackend Create(string name, int size, string dataDirectory)
    {
        var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize(name, size, Fast), dataDirectory);
        Output.WriteLine($"embedded ensemble seed {ensemble.Seed}, data in {dataDirectory}");
        return ensemble;
    }

    protected override Task StartUnreachableAsync(IEnsembleBackend backend, int serverId)
    {
        ((EmbeddedEnsemble)backend).Network.Isolate(serverId);
        return backend.StartMemberAsync(serverId, CancellationToken.None);
    }
}
