using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data.Configurations;

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntryEntity>
{
    public void Configure(EntityTypeBuilder<AuditEntryEntity> builder)
    {
        builder.ToTable("AuditEntries");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Ensemble).HasMaxLength(64);
        builder.Property(a => a.Action).HasMaxLength(64);
        builder.HasIndex(a => a.At);
        builder.HasIndex(a => new { a.Ensemble, a.At });
        builder.HasIndex(a => new { a.Actor, a.At });
        builder.HasIndex(a => new { a.Action, a.At });

        // SQLite lets NULLs repeat in a unique index: entries that report no operation are not constrained.
        builder.HasIndex(a => a.OperationId).IsUnique();
    }
}
