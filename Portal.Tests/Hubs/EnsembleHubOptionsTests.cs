using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Hubs;

public sealed class EnsembleHubOptionsTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("100001")]
    public async Task StartAsync_MaxPendingBatchesOutOfRange_RefusedWithClearMessage(string value)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "qp-portal-" + Guid.NewGuid().ToString("N"));

        var error = await RefusedStart.StartAsync(new Dictionary<string, string?>
        {
            ["Portal:Hub:MaxPendingBatches"] = value,
            ["Portal:DataDirectory"] = dataDirectory,
        });

        Assert.Contains("Portal:Hub:MaxPendingBatches must be between 1 and 100000.", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dataDirectory), "no ensemble should start when the options are refused");
    }
}
