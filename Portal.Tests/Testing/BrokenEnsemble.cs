using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Persistence;
using QuorumPortal.Portal.Data;

namespace QuorumPortal.Portal.Tests.Testing;

/// <summary>
/// An embedded ensemble in the catalog that cannot come back: a file stands where a member's directory must be, so
/// the member cannot open its storage. Removing the file is the fix an operator would make.
/// </summary>
internal static class BrokenEnsemble
{
    public const string Name = "broken";

    public static string RelativeDirectory { get; } = Path.Combine("ensembles", Name);

    public static string DirectoryIn(string dataDirectory) => Path.Combine(dataDirectory, RelativeDirectory);

    /// <summary>Stores the ensemble in the catalog of <paramref name="dataDirectory"/> with a file in server.<paramref name="serverId"/>'s place.</summary>
    public static async Task<StoredEnsemble> StoreAsync(string dataDirectory, int serverId = 1)
    {
        Block(dataDirectory, serverId);
        await using var database = TestDatabase.Open(dataDirectory);
        await database.MigrateAsync();
        return await new SqliteEnsembleCatalog(database, TimeProvider.System)
            .AddAsync(StoredEnsemble.For(EnsembleSpec.OfSize(Name, 3, EnsembleSettings.Fast), RelativeDirectory), CancellationToken.None);
    }

    /// <summary>Puts a file where server.<paramref name="serverId"/>'s directory goes.</summary>
    public static void Block(string dataDirectory, int serverId)
    {
        Directory.CreateDirectory(DirectoryIn(dataDirectory));
        File.WriteAllText(MemberPath(dataDirectory, serverId), "a file where the member's directory must be");
    }

    /// <summary>Removes the file that stands in server.<paramref name="serverId"/>'s place.</summary>
    public static void Unblock(string dataDirectory, int serverId = 1) => File.Delete(MemberPath(dataDirectory, serverId));

    private static string MemberPath(string dataDirectory, int serverId) => Path.Combine(DirectoryIn(dataDirectory), $"server.{serverId}");
}
