using System.Globalization;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.ZooKeeper.Local;

/// <summary>
/// A member's static <c>zoo.cfg</c> as <c>key=value</c> lines. ZooKeeper rewrites the file itself (it reorders keys and
/// repoints <c>dynamicConfigFile</c>), so it is edited in place: the keys the portal owns are replaced, every other line
/// is kept as ZooKeeper (or another part of the portal) left it.
/// </summary>
internal static class ZooKeeperConfigFile
{
    public const string DynamicConfigFileKey = "dynamicConfigFile";
    public const string AdminEnableServerKey = "admin.enableServer";
    public const string AdminServerAddressKey = "admin.serverAddress";
    public const string AdminServerPortKey = "admin.serverPort";

    /// <summary>Every key <see cref="SettingsLines"/> may write, including the optional ones.</summary>
    private static readonly string[] SettingsKeys =
    [
        "tickTime", "initLimit", "syncLimit", "minSessionTimeout", "maxSessionTimeout", "snapCount", "maxClientCnxns",
        "globalOutstandingLimit", "autopurge.snapRetainCount", "autopurge.purgeInterval", "4lw.commands.whitelist",
    ];

    /// <summary>The <c>zoo.cfg</c> lines of <paramref name="settings"/>; session timeouts only when set.</summary>
    public static IEnumerable<(string Key, string Value)> SettingsLines(EnsembleSettings settings)
    {
        static string S(int value) => value.ToString(CultureInfo.InvariantCulture);
        yield return ("tickTime", S(settings.TickTime));
        yield return ("initLimit", S(settings.InitLimit));
        yield return ("syncLimit", S(settings.SyncLimit));
        if (settings.MinSessionTimeout is int min)
        {
            yield return ("minSessionTimeout", S(min));
        }

        if (settings.MaxSessionTimeout is int max)
        {
            yield return ("maxSessionTimeout", S(max));
        }

        yield return ("snapCount", S(settings.SnapCount)); // unknown keys become zookeeper.<key> system properties, as snapCount must be
        yield return ("maxClientCnxns", S(settings.MaxClientCnxns));
        yield return ("globalOutstandingLimit", S(settings.GlobalOutstandingLimit));
        yield return ("autopurge.snapRetainCount", S(settings.AutopurgeSnapRetainCount));
        yield return ("autopurge.purgeInterval", S(settings.AutopurgePurgeInterval));
        yield return ("4lw.commands.whitelist", settings.FourLetterWordWhitelist);
    }

    /// <summary>Reads the settings back from a <c>zoo.cfg</c>; keys it lacks keep ZooKeeper's defaults.</summary>
    public static EnsembleSettings ReadSettings(string path)
    {
        var values = Read(path);
        int Int(string key, int fallback) => values.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : fallback;
        int? Optional(string key) => values.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null;
        var defaults = new EnsembleSettings();
        return new EnsembleSettings
        {
            TickTime = Int("tickTime", defaults.TickTime),
            InitLimit = Int("initLimit", defaults.InitLimit),
            SyncLimit = Int("syncLimit", defaults.SyncLimit),
            MinSessionTimeout = Optional("minSessionTimeout"),
            MaxSessionTimeout = Optional("maxSessionTimeout"),
            SnapCount = Int("snapCount", defaults.SnapCount),
            MaxClientCnxns = Int("maxClientCnxns", defaults.MaxClientCnxns),
            GlobalOutstandingLimit = Int("globalOutstandingLimit", defaults.GlobalOutstandingLimit),
            AutopurgeSnapRetainCount = Int("autopurge.snapRetainCount", defaults.AutopurgeSnapRetainCount),
            AutopurgePurgeInterval = Int("autopurge.purgeInterval", defaults.AutopurgePurgeInterval),
            FourLetterWordWhitelist = values.GetValueOrDefault("4lw.commands.whitelist", defaults.FourLetterWordWhitelist),
        };
    }

    /// <summary>Replaces the settings keys of the file with <paramref name="settings"/>, keeping every other line.</summary>
    public static void WriteSettings(string path, EnsembleSettings settings) =>
        Edit(path, SettingsLines(settings).ToDictionary(l => l.Key, l => (string?)l.Value), SettingsKeys);

    /// <summary>Points <c>dynamicConfigFile</c> at <paramref name="dynamicFile"/>, keeping every other line.</summary>
    public static void WriteDynamicConfigFile(string path, string dynamicFile) =>
        Edit(path, new Dictionary<string, string?> { [DynamicConfigFileKey] = dynamicFile }, [DynamicConfigFileKey]);

    /// <summary>The path <c>dynamicConfigFile</c> names, made absolute against the file's directory; null when absent.</summary>
    public static string? DynamicConfigFile(string path)
    {
        if (!Read(path).TryGetValue(DynamicConfigFileKey, out var file))
        {
            return null;
        }

        return Path.IsPathRooted(file) ? file : Path.Combine(Path.GetDirectoryName(path)!, file);
    }

    /// <summary>The version in a dynamic file's name (<c>zoo.cfg.dynamic.&lt;hex&gt;</c>), as ZooKeeper reads it; 0 without one.</summary>
    public static long VersionOf(string dynamicFile)
    {
        var suffix = Path.GetExtension(dynamicFile).TrimStart('.');
        return Path.GetFileName(dynamicFile).StartsWith("zoo.cfg.dynamic.", StringComparison.Ordinal)
            && long.TryParse(suffix, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var version) ? version : 0;
    }

    public static Dictionary<string, string> Read(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(path))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && !line.TrimStart().StartsWith('#'))
            {
                values[line[..equals].Trim()] = line[(equals + 1)..].Trim();
            }
        }

        return values;
    }

    /// <summary>
    /// Rewrites the file: each key of <paramref name="owned"/> is dropped where it stands, then the non-null values of
    /// <paramref name="values"/> are appended. Written to a temporary file and renamed, so a crash leaves the old file.
    /// </summary>
    private static void Edit(string path, IReadOnlyDictionary<string, string?> values, IReadOnlyCollection<string> owned)
    {
        var kept = File.ReadAllLines(path).Where(line =>
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            return equals <= 0 || !owned.Contains(line[..equals].Trim());
        });
        var lines = kept.Concat(values.Where(v => v.Value is not null).Select(v => $"{v.Key}={v.Value}"));
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, string.Join('\n', lines) + "\n");
        File.Move(temporary, path, overwrite: true);
    }
}
