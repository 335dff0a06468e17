using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Portal.Model;

/// <summary>
/// The editable form of <see cref="EnsembleSettings"/>: one field per setting, with its <c>zoo.cfg</c> name, unit,
/// range and a one-line help. The ranges guide the browser; the rules that count are
/// <see cref="EnsembleSettings.Validate"/>'s, checked on the server.
/// </summary>
public sealed class SettingsForm
{
    public static IReadOnlyList<SettingField> Fields { get; } =
    [
        new("tickTime", "ms", 10, 60_000, "The basic time unit: heartbeats every half tick; other limits count in ticks.", f => f.TickTime, (f, v) => f.TickTime = v),
        new("initLimit", "ticks", 1, 1000, "How long a follower may take to connect to the leader and sync.", f => f.InitLimit, (f, v) => f.InitLimit = v),
        new("syncLimit", "ticks", 1, 1000, "How far a follower may fall behind before the leader drops it; at most initLimit.", f => f.SyncLimit, (f, v) => f.SyncLimit = v),
        new("minSessionTimeout", "ms", 0, 10_000_000, "Shortest session timeout granted; at least 2 × tickTime. 0 = default (2 × tickTime).", f => f.MinSessionTimeout, (f, v) => f.MinSessionTimeout = v),
        new("maxSessionTimeout", "ms", 0, 10_000_000, "Longest session timeout granted; at least minSessionTimeout. 0 = default (20 × tickTime).", f => f.MaxSessionTimeout, (f, v) => f.MaxSessionTimeout = v),
        new("maxClientCnxns", "connections", 0, 100_000, "Connections one client address may open to one member; 0 = unlimited.", f => f.MaxClientCnxns, (f, v) => f.MaxClientCnxns = v),
        new("globalOutstandingLimit", "requests", 1, 1_000_000, "Queued requests before a member stops reading from clients.", f => f.GlobalOutstandingLimit, (f, v) => f.GlobalOutstandingLimit = v),
        new("snapCount", "transactions", 2, 100_000_000, "Transactions logged between two snapshots.", f => f.SnapCount, (f, v) => f.SnapCount = v),
        new("autopurge.snapRetainCount", "snapshots", 3, 1000, "Snapshots (and their logs) a purge keeps; at least 3.", f => f.AutopurgeSnapRetainCount, (f, v) => f.AutopurgeSnapRetainCount = v),
        new("autopurge.purgeInterval", "hours", 0, 10_000, "Hours between purges of old snapshots and logs; 0 = never.", f => f.AutopurgePurgeInterval, (f, v) => f.AutopurgePurgeInterval = v),
    ];

    public int TickTime { get; set; }

    public int InitLimit { get; set; }

    public int SyncLimit { get; set; }

    /// <summary>0 = ZooKeeper's default (2 × tickTime).</summary>
    public int MinSessionTimeout { get; set; }

    /// <summary>0 = ZooKeeper's default (20 × tickTime).</summary>
    public int MaxSessionTimeout { get; set; }

    public int MaxClientCnxns { get; set; }

    public int GlobalOutstandingLimit { get; set; }

    public int SnapCount { get; set; }

    public int AutopurgeSnapRetainCount { get; set; }

    public int AutopurgePurgeInterval { get; set; }

    /// <summary>Comma-separated four-letter words, or *.</summary>
    public string FourLetterWordWhitelist { get; set; } = "";

    public static SettingsForm From(EnsembleSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new SettingsForm
        {
            TickTime = settings.TickTime,
            InitLimit = settings.InitLimit,
            SyncLimit = settings.SyncLimit,
            MinSessionTimeout = settings.MinSessionTimeout ?? 0,
            MaxSessionTimeout = settings.MaxSessionTimeout ?? 0,
            MaxClientCnxns = settings.MaxClientCnxns,
            GlobalOutstandingLimit = settings.GlobalOutstandingLimit,
            SnapCount = settings.SnapCount,
            AutopurgeSnapRetainCount = settings.AutopurgeSnapRetainCount,
            AutopurgePurgeInterval = settings.AutopurgePurgeInterval,
            FourLetterWordWhitelist = settings.FourLetterWordWhitelist,
        };
    }

    public EnsembleSettings ToSettings() => new()
    {
        TickTime = TickTime,
        InitLimit = InitLimit,
        SyncLimit = SyncLimit,
        MinSessionTimeout = MinSessionTimeout == 0 ? null : MinSessionTimeout,
        MaxSessionTimeout = MaxSessionTimeout == 0 ? null : MaxSessionTimeout,
        MaxClientCnxns = MaxClientCnxns,
        GlobalOutstandingLimit = GlobalOutstandingLimit,
        SnapCount = SnapCount,
        AutopurgeSnapRetainCount = AutopurgeSnapRetainCount,
        AutopurgePurgeInterval = AutopurgePurgeInterval,
        FourLetterWordWhitelist = FourLetterWordWhitelist.Replace(" ", "", StringComparison.Ordinal),
    };
}

/// <summary>One numeric setting of <see cref="SettingsForm"/>: its zoo.cfg name, unit, range and help.</summary>
public sealed record SettingField(string Name, string Unit, int Min, int Max, string Help, Func<SettingsForm, int> Get, Action<SettingsForm, int> Set);
