namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>A test class whose every test gets its own portal in-process (with the demo ensemble) and an HTTP client to it.</summary>
public abstract class PortalApiTest : IAsyncLifetime
{
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    protected PortalFactory Factory { get; } = new();

    protected HttpClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Client = Factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
    }
}
