using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data.Configurations;

internal sealed class EnsembleConfiguration : IEntityTypeConfiguration<EnsembleEntity>
{
    public void Configure(EntityTypeBuilder<EnsembleEntity> builder)
    {
        builder.ToTable("Ensembles");
        builder.HasKey(e => e.Name);
        builder.Property(e => e.Name).HasMaxLength(64);
        builder.Property(e => e.Backend).HasMaxLength(32);
        builder.HasMany(e => e.Members).WithOne().HasForeignKey(m => m.EnsembleName).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class EnsembleMemberConfiguration : IEntityTypeConfiguration<EnsembleMemberEntity>
{
    public void Configure(EntityTypeBuilder<EnsembleMemberEntity> builder)
    {
        builder.ToTable("EnsembleMembers");
        builder.HasKey(m => new { m.EnsembleName, m.ServerId });
        builder.Property(m => m.Role).HasMaxLength(16);
        builder.Property(m => m.Host).HasMaxLength(255);
    }
}
