using Microsoft.Extensions.Options;

namespace QuorumPortal.Portal.Configuration;

/// <summary>Refuses settings the portal cannot run with, naming the setting as it is configured.</summary>
public sealed class ValidatePortalOptions : IValidateOptions<PortalOptions>
{
    public ValidateOptionsResult Validate(string? name, PortalOptions options)
    {
        var errors = new List<string>();
        if (options.ProbeInterval < PortalOptions.MinProbeInterval || options.ProbeInterval > PortalOptions.MaxProbeInterval)
        {
            errors.Add($"{PortalOptions.SectionName}:ProbeInterval must be between {PortalOptions.MinProbeInterval.TotalMilliseconds:0} ms and {PortalOptions.MaxProbeInterval.TotalSeconds:0} s (was {options.ProbeInterval.TotalMilliseconds:0.###} ms).");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add($"{PortalOptions.SectionName}:DataDirectory must name a directory (absolute, or relative to the content root).");
        }
        else if (options.DataDirectory.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            errors.Add($"{PortalOptions.SectionName}:DataDirectory contains characters that are not allowed in a path (was '{options.DataDirectory}').");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
