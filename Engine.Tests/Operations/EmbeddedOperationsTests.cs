using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Operations;

public sealed class EmbeddedOperationsTests(ITestOutputHelper output) : OperationsContract(output)
{
    protected override IEnsembleBackend Create(string name, int size, string dataDirectory)
    {
        var ensemble = new EmbeddedEnsemble(EnsembleSpec.OfSize(name, size, Fast), dataDirectory);
        Output.WriteLine($"embedded ensemble seed {ensemble.Seed}, data in {dataDirectory}");
        return ensemble;
    }
}
