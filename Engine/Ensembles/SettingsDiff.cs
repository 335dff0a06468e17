using System.Globalization;

namespace QuorumPortal.Engine.Ensembles;

/// <summary>One setting that differs between two versions, named as in <c>zoo.cfg</c>.</summary>
public sealed record SettingChange(string Name, string? Old, string? New)
{
    public override string ToString() => $"{Name}: {Old ?? "(default)"} → {New ?? "(default)"}";
}

/// <summary>The settings as <c>zoo.cfg</c> names them, and what changes between two versions.</summary>
public static class SettingsDiff
{
    private static readonly (string Name, Func<EnsembleSettings, string?> Value)[] Properties =
    [
        ("tickTime", s => Text(s.TickTime)),
        ("initLimit", s => Text(s.InitLimit)),
        ("syncLimit", s => Text(s.SyncLimit)),
        ("minSessionTimeout", s => s.MinSessionTimeout is { } v ? Text(v) : null),
        ("maxSessionTimeout", s => s.MaxSessionTimeout is { } v ? Text(v) : null),
        ("snapCount", s => Text(s.SnapCount)),
        ("maxClientCnxns", s => Text(s.MaxClientCnxns)),
        ("globalOutstandingLimit", s => Text(s.GlobalOutstandingLimit)),
        ("autopurge.snapRetainCount", s => Text(s.AutopurgeSnapRetainCount)),
        ("autopurge.purgeInterval", s => Text(s.AutopurgePurgeInterval)),
        ("4lw.commands.whitelist", s => s.FourLetterWordWhitelist),
    ];

    /// <summary>Every setting by its <c>zoo.cfg</c> name; null for one left to its default.</summary>
    public static IReadOnlyList<KeyValuePair<string, string?>> Describe(EnsembleSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return [.. Properties.Select(p => KeyValuePair.Create(p.Name, p.Value(settings)))];
    }

    /// <summary>The settings that differ, in <c>zoo.cfg</c> order; empty when nothing changes.</summary>
    public static IReadOnlyList<SettingChange> Between(EnsembleSettings before, EnsembleSettings after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return [.. Properties
            .Select(p => new SettingChange(p.Name, p.Value(before), p.Value(after)))
            .Where(c => c.Old != c.New)];
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
