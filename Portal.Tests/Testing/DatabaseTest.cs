namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>A test class with a fresh migrated database per test (xunit makes one instance per test).</summary>
public abstract class DatabaseTest : IAsyncLifetime
{
    protected TestDatabase Database { get; private set; } = null!;

    public async Task InitializeAsync() => Database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await Database.DisposeAsync();
}
