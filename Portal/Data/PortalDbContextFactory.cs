using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace QuorumPortal.Portal.Data;

/// <summary>
/// For <c>dotnet ef migrations add</c>: builds the context without starting the portal (which would start ensembles).
/// The database it names is never opened by the tool when it only adds a migration.
/// </summary>
internal sealed class PortalDbContextFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite(PortalDbContext.ConnectionStringFor(Path.GetTempPath())).Options);
}
