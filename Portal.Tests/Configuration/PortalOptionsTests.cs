using QuorumPortal.Portal.Configuration;
using QuorumPortal.Portal.Tests.Testing;

namespace QuorumPortal.Portal.Tests.Configuration;

public sealed class PortalOptionsTests
{
    [Theory]
    [InlineData("00:00:00", "was 0 ms")]
    [InlineData("-00:00:01", "was -1000 ms")]
    [InlineData("00:05:00", "was 300000 ms")]
    public async Task StartAsync_BadProbeInterval_RefusedWithClearMessage(string interval, string was)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "qp-portal-" + Guid.NewGuid().ToString("N"));

        var error = await RefusedStart.StartAsync(new Dictionary<string, string?>
        {
            ["Portal:ProbeInterval"] = interval,
            ["Portal:DataDirectory"] = dataDirectory,
        });

        Assert.Contains($"Portal:ProbeInterval must be between 10 ms and 60 s ({was})", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dataDirectory), "no ensemble should start when the options are refused");
    }

    [Fact]
    public async Task Start_DemoDisabled_NoEnsembles()
    {
        await using var factory = new PortalFactory(new Dictionary<string, string?> { ["Portal:DemoEnsemble"] = "false" });
        using var client = factory.CreateClient();

        var ensembles = await factory.GetEnsemblesAsync(client);

        Assert.Empty(ensembles);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_BlankDataDirectory_Refused(string directory)
    {
        var result = new ValidatePortalOptions().Validate(null, new PortalOptions { DataDirectory = directory });

        Assert.True(result.Failed);
        Assert.Contains("Portal:DataDirectory must name a directory", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Defaults_Accepted()
    {
        var result = new ValidatePortalOptions().Validate(null, new PortalOptions());

        Assert.True(result.Succeeded);
    }
}
