using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using QuorumPortal.Portal.Hubs;

namespace QuorumPortal.Portal.Tests.Hubs;

public sealed class EnsembleHubFanoutTests
{
    [Fact]
    public async Task StopAsync_AfterDispose_Completes()
    {
        // WebApplicationFactory's order when the program's own Run disposes the host first (CI caught it).
        var fanout = new EnsembleHubFanout(Options.Create(new EnsembleHubOptions()), NullLogger<EnsembleHubFanout>.Instance);
        fanout.Dispose();

        await fanout.StopAsync(CancellationToken.None);
        fanout.Dispose();
    }
}
