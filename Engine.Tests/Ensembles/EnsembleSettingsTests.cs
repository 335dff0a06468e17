using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Tests.Ensembles;

public sealed class EnsembleSettingsTests
{
    private static string FieldOf(EnsembleSettings settings) => Assert.Single(settings.Validate()).Field;

    [Fact]
    public void Validate_Defaults_AreValid()
    {
        Assert.Empty(new EnsembleSettings().Validate());
        Assert.Empty(EnsembleSettings.Fast.Validate());
        Assert.Same(EnsembleSettings.Fast, EnsembleSettings.Fast.EnsureValid());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2000)]
    [InlineData(5)]
    [InlineData(60_001)]
    public void Validate_TickTimeOutOfRange_Reported(int tickTime)
    {
        // Session timeouts default to multiples of tickTime, so only tickTime itself is wrong.
        Assert.Equal("tickTime", FieldOf(new EnsembleSettings { TickTime = tickTime }));
    }

    [Fact]
    public void Validate_SyncLimitAboveInitLimit_Reported()
    {
        var errors = new EnsembleSettings { InitLimit = 5, SyncLimit = 10 }.Validate();

        var error = Assert.Single(errors);
        Assert.Equal("syncLimit", error.Field);
        Assert.Contains("initLimit (5)", error.Rule);
    }

    [Theory]
    [InlineData(0, 5, "initLimit")]
    [InlineData(10, 0, "syncLimit")]
    [InlineData(10, -1, "syncLimit")]
    public void Validate_LimitsBelowOneTick_Reported(int initLimit, int syncLimit, string field)
    {
        Assert.Equal(field, FieldOf(new EnsembleSettings { InitLimit = initLimit, SyncLimit = syncLimit }));
    }

    [Fact]
    public void Validate_SyncLimitEqualToInitLimit_IsValid()
    {
        Assert.Empty(new EnsembleSettings { InitLimit = 5, SyncLimit = 5 }.Validate());
    }

    [Fact]
    public void Validate_MinSessionTimeoutBelowTwoTicks_Reported()
    {
        var settings = new EnsembleSettings { TickTime = 2000, MinSessionTimeout = 3999 };

        Assert.Equal("minSessionTimeout", FieldOf(settings));
        Assert.Empty((settings with { MinSessionTimeout = 4000 }).Validate());
    }

    [Fact]
    public void Validate_MaxSessionTimeoutBelowMin_Reported()
    {
        Assert.Equal("maxSessionTimeout", FieldOf(new EnsembleSettings { MinSessionTimeout = 10_000, MaxSessionTimeout = 9_000 }));
        Assert.Equal("maxSessionTimeout", FieldOf(new EnsembleSettings { TickTime = 2000, MaxSessionTimeout = 3_000 })); // below the default min of 4 s
        Assert.Empty(new EnsembleSettings { MinSessionTimeout = 10_000, MaxSessionTimeout = 10_000 }.Validate());
    }

    [Fact]
    public void Validate_MinSessionTimeoutAboveDefaultMax_Reported()
    {
        // tickTime 2000 makes the default maxSessionTimeout 40 s; ZooKeeper refuses a larger min.
        var settings = new EnsembleSettings { TickTime = 2000, MinSessionTimeout = 60_000 };

        Assert.Equal("minSessionTimeout", FieldOf(settings));
        Assert.Empty((settings with { MaxSessionTimeout = 60_000 }).Validate());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    [InlineData(-3)]
    public void Validate_SnapRetainCountBelowThree_Reported(int count)
    {
        Assert.Equal("autopurge.snapRetainCount", FieldOf(new EnsembleSettings { AutopurgeSnapRetainCount = count }));
    }

    [Theory]
    [InlineData(1, "snapCount")]
    [InlineData(-1, "maxClientCnxns")]
    [InlineData(0, "globalOutstandingLimit")]
    [InlineData(-1, "autopurge.purgeInterval")]
    public void Validate_CountersOutOfRange_Reported(int value, string field)
    {
        var settings = field switch
        {
            "snapCount" => new EnsembleSettings { SnapCount = value },
            "maxClientCnxns" => new EnsembleSettings { MaxClientCnxns = value },
            "globalOutstandingLimit" => new EnsembleSettings { GlobalOutstandingLimit = value },
            _ => new EnsembleSettings { AutopurgePurgeInterval = value },
        };

        Assert.Equal(field, FieldOf(settings));
    }

    [Theory]
    [InlineData("SRVR")]
    [InlineData("srvr,mntr,stats")]
    [InlineData("srvr mntr")]
    [InlineData("sr1r")]
    [InlineData("srvr,srrv")]
    [InlineData("ls")]
    public void Validate_BadFourLetterWord_Reported(string whitelist)
    {
        Assert.Equal("4lw.commands.whitelist", FieldOf(new EnsembleSettings { FourLetterWordWhitelist = whitelist }));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("")]
    [InlineData(" srvr , mntr ,ruok")]
    [InlineData("srvr,,stat")]
    [InlineData("conf,cons,crst,dirs,dump,envi,gtmk,hash,isro,mntr,ruok,srst,srvr,stat,stmk,wchc,wchp,wchs")]
    public void Validate_GoodFourLetterWords_AreValid(string whitelist)
    {
        Assert.Empty(new EnsembleSettings { FourLetterWordWhitelist = whitelist }.Validate());
    }

    [Fact]
    public void EnsureValid_SeveralMistakes_ThrowsWithEveryOne()
    {
        var settings = new EnsembleSettings { TickTime = 0, InitLimit = 2, SyncLimit = 3, AutopurgeSnapRetainCount = 2 };

        var error = Assert.Throws<ValidationException>(() => settings.EnsureValid());

        Assert.Equal(["autopurge.snapRetainCount", "syncLimit", "tickTime"], error.Errors.Select(e => e.Field).Order());
        Assert.Contains("tickTime", error.Message);
    }

    [Fact]
    public void EffectiveSessionTimeouts_Unset_FollowTickTime()
    {
        var settings = new EnsembleSettings { TickTime = 200 };

        Assert.Equal((400, 4000), (settings.EffectiveMinSessionTimeout, settings.EffectiveMaxSessionTimeout));
        var set = settings with { MinSessionTimeout = 500, MaxSessionTimeout = 900 };
        Assert.Equal((500, 900), (set.EffectiveMinSessionTimeout, set.EffectiveMaxSessionTimeout));
    }
}
