using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data.Configurations;

internal sealed class EventConfiguration : IEntityTypeConfiguration<EventEntity>
{
    public void Configure(EntityTypeBuilder<EventEntity> builder)
    {
        builder.ToTable("Events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Ensemble).HasMaxLength(64);
        builder.Property(e => e.Kind).HasMaxLength(32);
        builder.HasIndex(e => new { e.Ensemble, e.Timestamp });
        builder.HasIndex(e => e.Timestamp);
    }
}
