using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data.Configurations;

internal sealed class OperationConfiguration : IEntityTypeConfiguration<OperationEntity>
{
    public void Configure(EntityTypeBuilder<OperationEntity> builder)
    {
        builder.ToTable("Operations");
        builder.HasKey(o => o.Id);
        builder.Property(o => o.Id).ValueGeneratedNever();
        builder.Property(o => o.Ensemble).HasMaxLength(64);
        builder.Property(o => o.Kind).HasMaxLength(32);
        builder.Property(o => o.State).HasMaxLength(16);
        builder.HasIndex(o => new { o.Ensemble, o.StartedAt });
        builder.HasIndex(o => o.StartedAt);
        builder.HasIndex(o => o.State);
        builder.HasMany(o => o.Steps).WithOne().HasForeignKey(s => s.OperationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class OperationStepConfiguration : IEntityTypeConfiguration<OperationStepEntity>
{
    public void Configure(EntityTypeBuilder<OperationStepEntity> builder)
    {
        builder.ToTable("OperationSteps");
        builder.HasKey(s => new { s.OperationId, s.Position });
        builder.Property(s => s.State).HasMaxLength(16);
    }
}
