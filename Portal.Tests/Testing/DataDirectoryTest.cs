namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>A test class whose portals share one data directory (a restart), deleted after each test.</summary>
public abstract class DataDirectoryTest : IAsyncLifetime
{
    protected string DataDirectory { get; } = PortalFactory.NewDataDirectory();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }

        return Task.CompletedTask;
    }
}
