using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuorumPortal.Portal.Data.Entities;

namespace QuorumPortal.Portal.Data.Configurations;

internal sealed class SettingsVersionConfiguration : IEntityTypeConfiguration<SettingsVersionEntity>
{
    public void Configure(EntityTypeBuilder<SettingsVersionEntity> builder)
    {
        builder.ToTable("SettingsVersions");
        builder.HasKey(v => v.Id);

        // No foreign key to Ensembles: the history of a removed ensemble is kept.
        builder.Property(v => v.Ensemble).HasMaxLength(64);
        builder.HasIndex(v => new { v.Ensemble, v.Version }).IsUnique();
    }
}
