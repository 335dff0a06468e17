namespace QuorumPortal.Engine.Ensembles;

/// <summary>
/// The settings of an ensemble, named as in ZooKeeper's <c>zoo.cfg</c>. Defaults are ZooKeeper 3.8's.
/// Times are in milliseconds, limits in ticks, as ZooKeeper counts them.
/// </summary>
public sealed record EnsembleSettings
{
    /// <summary><c>tickTime</c>: the basic time unit in ms. Default 2000.</summary>
    public int TickTime { get; init; } = 2000;

    /// <summary><c>initLimit</c>: ticks a follower may take to connect to and sync with the leader. Default 10.</summary>
    public int InitLimit { get; init; } = 10;

    /// <summary><c>syncLimit</c>: ticks a follower may lag the leader before it is dropped. Default 5.</summary>
    public int SyncLimit { get; init; } = 5;

    /// <summary><c>minSessionTimeout</c> in ms; null means 2 × tickTime.</summary>
    public int? MinSessionTimeout { get; init; }

    /// <summary><c>maxSessionTimeout</c> in ms; null means 20 × tickTime.</summary>
    public int? MaxSessionTimeout { get; init; }

    /// <summary><c>snapCount</c>: transactions logged between snapshots. Default 100,000.</summary>
    public int SnapCount { get; init; } = 100_000;

    /// <summary><c>maxClientCnxns</c>: connections one client address may open to one member; 0 = unlimited. Default 60.</summary>
    public int MaxClientCnxns { get; init; } = 60;

    /// <summary><c>globalOutstandingLimit</c>: queued requests before a member throttles clients. Default 1000.</summary>
    public int GlobalOutstandingLimit { get; init; } = 1000;

    /// <summary><c>autopurge.snapRetainCount</c>: snapshots (and their logs) kept by purge. Default 3, at least 3.</summary>
    public int AutopurgeSnapRetainCount { get; init; } = 3;

    /// <summary><c>autopurge.purgeInterval</c>: hours between purges; 0 = never. Default 0.</summary>
    public int AutopurgePurgeInterval { get; init; }

    /// <summary><c>4lw.commands.whitelist</c>: four-letter words members answer. Default the portal's probes.</summary>
    public string FourLetterWordWhitelist { get; init; } = "srvr,mntr,conf,ruok,cons,stat";

    /// <summary>The four-letter words ZooKeeper 3.8 answers.</summary>
    public static IReadOnlySet<string> KnownFourLetterWords { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro", "mntr", "ruok", "srst", "srvr", "stat", "stmk", "wchc", "wchp", "wchs",
    };

    public int EffectiveMinSessionTimeout => MinSessionTimeout ?? 2 * TickTime;

    public int EffectiveMaxSessionTimeout => MaxSessionTimeout ?? 20 * TickTime;

    /// <summary>Settings suited to a demo or a test: a 200 ms tick, so failover takes well under a second.</summary>
    public static EnsembleSettings Fast { get; } = new() { TickTime = 200, InitLimit = 10, SyncLimit = 5 };

    /// <summary>Every rule this value breaks; empty when it is valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        void Range(string field, long value, long min, long max, string unit = "")
        {
            if (value < min || value > max)
            {
                errors.Add(new(field, $"must be between {min} and {max}{unit} (was {value})"));
            }
        }

        Range("tickTime", TickTime, 10, 60_000, " ms");
        Range("initLimit", InitLimit, 1, 1000, " ticks");
        Range("syncLimit", SyncLimit, 1, 1000, " ticks");
        if (SyncLimit > InitLimit && InitLimit >= 1)
        {
            errors.Add(new("syncLimit", $"must not exceed initLimit ({InitLimit}) (was {SyncLimit})"));
        }

        Range("snapCount", SnapCount, 2, 100_000_000);
        Range("maxClientCnxns", MaxClientCnxns, 0, 100_000);
        Range("globalOutstandingLimit", GlobalOutstandingLimit, 1, 1_000_000);
        if (AutopurgeSnapRetainCount < 3)
        {
            errors.Add(new("autopurge.snapRetainCount", $"must be at least 3 (was {AutopurgeSnapRetainCount})"));
        }

        Range("autopurge.purgeInterval", AutopurgePurgeInterval, 0, 10_000, " hours");

        if (MinSessionTimeout is int min && min < 2 * TickTime)
        {
            errors.Add(new("minSessionTimeout", $"must be at least 2 × tickTime = {2 * TickTime} ms (was {min})"));
        }

        if (MaxSessionTimeout is int max && max < EffectiveMinSessionTimeout)
        {
            errors.Add(new("maxSessionTimeout", $"must be at least minSessionTimeout = {EffectiveMinSessionTimeout} ms (was {max})"));
        }
        else if (MaxSessionTimeout is null && MinSessionTimeout is int setMin && setMin > EffectiveMaxSessionTimeout)
        {
            // ZooKeeper refuses min > max also when max is its default of 20 × tickTime.
            errors.Add(new("minSessionTimeout", $"must not exceed maxSessionTimeout = 20 × tickTime = {EffectiveMaxSessionTimeout} ms (was {setMin}); raise maxSessionTimeout too"));
        }

        foreach (var word in FourLetterWordWhitelist.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (word != "*" && (word.Length != 4 || !word.All(char.IsAsciiLetterLower)))
            {
                errors.Add(new("4lw.commands.whitelist", $"'{word}' is not a four-letter word (use lower-case words such as srvr,mntr or *)"));
            }
            else if (word != "*" && !KnownFourLetterWords.Contains(word))
            {
                // ZooKeeper accepts an unknown word silently and then never answers it: a typo would only show as a dead probe.
                errors.Add(new("4lw.commands.whitelist", $"'{word}' is not a four-letter word ZooKeeper knows ({string.Join(',', KnownFourLetterWords.Order())})"));
            }
        }

        return errors;
    }

    /// <summary>Throws <see cref="ValidationException"/> when <see cref="Validate"/> finds anything.</summary>
    public EnsembleSettings EnsureValid()
    {
        var errors = Validate();
        return errors.Count == 0 ? this : throw new ValidationException(errors);
    }
}
