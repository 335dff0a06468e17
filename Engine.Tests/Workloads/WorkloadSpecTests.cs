using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Workloads;

namespace QuorumPortal.Engine.Tests.Workloads;

/// <summary>What an operator might type into the workload form or the API, and the message each gets.</summary>
public sealed class WorkloadSpecTests
{
    private static ValidationError Single(WorkloadSpec spec) => Assert.Single(spec.Validate());

    [Fact]
    public void Validate_Defaults_AreValid()
    {
        var spec = new WorkloadSpec();

        Assert.Empty(spec.Validate());
        Assert.Same(spec, spec.EnsureValid());
        Assert.Equal("/quorum-portal/workload", spec.RootPath);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-200)]
    [InlineData(100_001)]
    [InlineData(int.MaxValue)]
    public void Validate_RateOutOfRange_NamesFieldAndLimits(int rate)
    {
        var error = Single(new WorkloadSpec { OperationsPerSecond = rate, ValueSize = 0 });

        Assert.Equal("operationsPerSecond", error.Field);
        Assert.Contains("between 1 and 100,000", error.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100_000)]
    public void Validate_RateAtLimits_IsValid(int rate)
    {
        Assert.Empty(new WorkloadSpec { OperationsPerSecond = rate, ValueSize = 100 }.Validate());
    }

    [Fact]
    public void Validate_WriteFractionTypedAsPercent_MessageSpeaksPercent()
    {
        var error = Single(new WorkloadSpec { WriteFraction = 50 });

        Assert.Equal("writeFraction", error.Field);
        Assert.Contains("between 0 and 1, that is 0% to 100% writes", error.Rule, StringComparison.Ordinal);
        Assert.Contains("5000%", error.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Validate_WriteFractionOutsideZeroToOne_Reported(double fraction)
    {
        Assert.Equal("writeFraction", Single(new WorkloadSpec { WriteFraction = fraction }).Field);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void Validate_OnlyReadsOrOnlyWrites_IsValid(double fraction)
    {
        Assert.Empty(new WorkloadSpec { WriteFraction = fraction }.Validate());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1024 * 1024)]
    public void Validate_ValueSizeOutsideJuteMaxBuffer_NamesTheLimit(int size)
    {
        var error = Single(new WorkloadSpec { ValueSize = size, OperationsPerSecond = 1, Keys = 1 });

        Assert.Equal("valueSize", error.Field);
        Assert.Contains("jute.maxbuffer", error.Rule, StringComparison.Ordinal);
        Assert.Contains("1,047,552 bytes", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LargestValueAtLowRate_IsValid()
    {
        Assert.Empty(new WorkloadSpec { ValueSize = WorkloadSpec.MaxValueSize, OperationsPerSecond = 10, Keys = 10 }.Validate());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void Validate_SessionsOutOfRange_Reported(int sessions)
    {
        var error = Single(new WorkloadSpec { Sessions = sessions });

        Assert.Equal("sessions", error.Field);
        Assert.Contains("between 1 and 64", error.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public void Validate_KeysOutOfRange_Reported(int keys)
    {
        Assert.Equal("keys", Single(new WorkloadSpec { Keys = keys, ValueSize = 0 }).Field);
    }

    [Theory]
    [InlineData("", "is required, for example /quorum-portal/workload")]
    [InlineData("   ", "is required")]
    [InlineData("workload", "absolute znode path")]
    [InlineData("/", "absolute znode path below /")]
    [InlineData("/quorum-portal/", "without a trailing '/'")]
    [InlineData("/quorum-portal//workload", "empty, '.' or '..' segments")]
    [InlineData("/quorum-portal/./workload", "empty, '.' or '..' segments")]
    [InlineData("/quorum-portal/../workload", "empty, '.' or '..' segments")]
    [InlineData("/quorum\u0001portal", "control characters")]
    [InlineData("/zookeeper", "must not be under /zookeeper, which ZooKeeper reserves")]
    [InlineData("/zookeeper/workload", "must not be under /zookeeper")]
    public void Validate_RootPathNotUsable_ReportedWithTheRule(string path, string rule)
    {
        var error = Single(new WorkloadSpec { RootPath = path });

        Assert.Equal("rootPath", error.Field);
        Assert.Contains(rule, error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RootPathBesideZooKeeper_IsValid()
    {
        Assert.Empty(new WorkloadSpec { RootPath = "/zookeeper-workload" }.Validate());
    }

    [Fact]
    public void Validate_RootPathTooLong_Reported()
    {
        Assert.Equal("rootPath", Single(new WorkloadSpec { RootPath = "/" + new string('a', 600) }).Field);
    }

    [Fact]
    public void Validate_RateTimesValueSizeAboveBandwidth_ReportedOnValueSize()
    {
        var error = Single(new WorkloadSpec { OperationsPerSecond = 100_000, ValueSize = 1024, Keys = 10 });

        Assert.Equal("valueSize", error.Field);
        Assert.Contains("97.7 MiB/s", error.Rule, StringComparison.Ordinal);
        Assert.Contains("at most 32 MiB/s", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KeysTimesValueSizeAboveMemoryLimit_ReportedOnKeys()
    {
        var error = Single(new WorkloadSpec { Keys = 10_000, ValueSize = 100_000, OperationsPerSecond = 10 });

        Assert.Equal("keys", error.Field);
        Assert.Contains("953.7 MiB on every member", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SeveralFieldsWrong_OneErrorPerFieldAndNoCrossFieldNoise()
    {
        var errors = new WorkloadSpec { OperationsPerSecond = 0, WriteFraction = 2, ValueSize = 5_000_000, Sessions = 0, Keys = 0, RootPath = "x" }.Validate();

        Assert.Equal(["operationsPerSecond", "writeFraction", "valueSize", "sessions", "keys", "rootPath"], errors.Select(e => e.Field));
    }

    [Fact]
    public void EnsureValid_Invalid_ThrowsWithEveryError()
    {
        var error = Assert.Throws<ValidationException>(() => new WorkloadSpec { OperationsPerSecond = 0, Sessions = 100 }.EnsureValid());

        Assert.Equal(["operationsPerSecond", "sessions"], error.Errors.Select(e => e.Field));
        Assert.Contains("operationsPerSecond: must be between 1 and 100,000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_Default_RateWriteShareValueSizeSessions()
    {
        Assert.Equal("200 ops/s, 50% writes, 1024-byte values, 4 sessions", new WorkloadSpec().Summary);
        Assert.Equal("1 ops/s, 12.5% writes, 0-byte values, 1 session", new WorkloadSpec { OperationsPerSecond = 1, WriteFraction = 0.125, ValueSize = 0, Sessions = 1 }.Summary);
    }

    [Fact]
    public void KeyPath_Index_ZeroPaddedUnderRoot()
    {
        Assert.Equal("/quorum-portal/workload/k00042", new WorkloadSpec().KeyPath(42));
        Assert.Equal("/w/k09999", new WorkloadSpec { RootPath = "/w" }.KeyPath(9999));
    }
}
