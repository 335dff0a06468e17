using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data.Configurations;

internal sealed class DrillReportConfiguration : IEntityTypeConfiguration<DrillReportEntity>
{
    public void Configure(EntityTypeBuilder<DrillReportEntity> builder)
    {
        builder.ToTable("DrillReports");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Id).ValueGeneratedNever();
        builder.Property(d => d.Ensemble).HasMaxLength(64);
        builder.Property(d => d.Kind).HasMaxLength(64);
        builder.HasIndex(d => new { d.Ensemble, d.StartedAt });
    }
}
