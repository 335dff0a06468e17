using System.Globalization;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Workloads;

/// <summary>
/// A background workload as the operator asked for it: an open loop of reads (getData) and writes (setData) at a
/// fixed rate over <see cref="Keys"/> znodes under <see cref="RootPath"/>, spread over <see cref="Sessions"/> client
/// sessions. Field names in <see cref="Validate"/> are the JSON names the API and the form use.
/// </summary>
public sealed record WorkloadSpec
{
    public const int MaxOperationsPerSecond = 100_000;

    /// <summary>
    /// ZooKeeper refuses a request larger than <c>jute.maxbuffer</c> (0xfffff bytes by default); a setData request
    /// carries the path and headers too, so a value may use all but 1 KiB of it.
    /// </summary>
    public const int MaxValueSize = 1024 * 1024 - 1024;

    public const int MaxSessions = 64;

    public const int MaxKeys = 10_000;

    public const int MaxRootPathLength = 512;

    /// <summary>Bytes per second the workload may move (rate × value size): a 2-core portal host shares its CPU and disk with the ensembles.</summary>
    public const long MaxBytesPerSecond = 32L * 1024 * 1024;

    /// <summary>Bytes the key space may hold (keys × value size); every member keeps the whole tree in memory.</summary>
    public const long MaxKeySpaceBytes = 64L * 1024 * 1024;

    public const string DefaultRootPath = "/quorum-portal/workload";

    /// <summary>Operations issued per second, reads and writes together: 1 to 100,000. Default 200.</summary>
    public int OperationsPerSecond { get; init; } = 200;

    /// <summary>Share of operations that are writes, 0 (only reads) to 1 (only writes). Default 0.5.</summary>
    public double WriteFraction { get; init; } = 0.5;

    /// <summary>Bytes per written value, 0 to <see cref="MaxValueSize"/>. Default 1024.</summary>
    public int ValueSize { get; init; } = 1024;

    /// <summary>Client sessions the operations are spread over, 1 to 64. Default 4.</summary>
    public int Sessions { get; init; } = 4;

    /// <summary>Znodes read and written, 1 to 10,000, named <c>k00000</c>… under <see cref="RootPath"/>. Default 100.</summary>
    public int Keys { get; init; } = 100;

    /// <summary>Where the key space lives; created with its parents when missing. Default <c>/quorum-portal/workload</c>.</summary>
    public string RootPath { get; init; } = DefaultRootPath;

    /// <summary>"200 ops/s, 50% writes, 1024-byte values, 4 sessions" — how the UI and refusals name a workload.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{OperationsPerSecond} ops/s, {WriteFraction * 100:0.#}% writes, {ValueSize}-byte values, {Sessions} session{(Sessions == 1 ? "" : "s")}");

    /// <summary>The path of key <paramref name="index"/>.</summary>
    public string KeyPath(int index) => ZnodePath.Join(RootPath, string.Create(CultureInfo.InvariantCulture, $"k{index:D5}"));

    /// <summary>Every rule this spec breaks; empty when it is valid.</summary>
    public IReadOnlyList<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        void Range(string field, long value, long min, long max, string unit)
        {
            if (value < min || value > max)
            {
                errors.Add(new(field, string.Create(CultureInfo.InvariantCulture, $"must be between {min:N0} and {max:N0}{unit} (was {value:N0})")));
            }
        }

        Range("operationsPerSecond", OperationsPerSecond, 1, MaxOperationsPerSecond, " operations per second");
        if (double.IsNaN(WriteFraction) || WriteFraction < 0 || WriteFraction > 1)
        {
            errors.Add(new("writeFraction", string.Create(CultureInfo.InvariantCulture,
                $"must be between 0 and 1, that is 0% to 100% writes (was {WriteFraction} = {WriteFraction * 100:0.#}%)")));
        }

        if (ValueSize < 0 || ValueSize > MaxValueSize)
        {
            errors.Add(new("valueSize", string.Create(CultureInfo.InvariantCulture,
                $"must be between 0 and {MaxValueSize:N0} bytes: ZooKeeper refuses a request above jute.maxbuffer (1 MiB), path and headers included (was {ValueSize:N0})")));
        }

        Range("sessions", Sessions, 1, MaxSessions, " sessions");
        Range("keys", Keys, 1, MaxKeys, " keys");
        ValidateRootPath(errors);

        // Cross-field limits only when both fields are in range, so one typo gives one message.
        if (errors.Count == 0)
        {
            var perSecond = (long)OperationsPerSecond * ValueSize;
            if (perSecond > MaxBytesPerSecond)
            {
                errors.Add(new("valueSize", string.Create(CultureInfo.InvariantCulture,
                    $"{OperationsPerSecond:N0} ops/s of {ValueSize:N0} bytes would move {perSecond / 1048576.0:0.#} MiB/s; at most {MaxBytesPerSecond / 1048576} MiB/s — lower the rate or the value size")));
            }

            var held = (long)Keys * ValueSize;
            if (held > MaxKeySpaceBytes)
            {
                errors.Add(new("keys", string.Create(CultureInfo.InvariantCulture,
                    $"{Keys:N0} keys of {ValueSize:N0} bytes would hold {held / 1048576.0:0.#} MiB on every member; at most {MaxKeySpaceBytes / 1048576} MiB — use fewer keys or smaller values")));
            }
        }

        return errors;
    }

    /// <summary>Throws <see cref="ValidationException"/> when <see cref="Validate"/> finds anything.</summary>
    public WorkloadSpec EnsureValid()
    {
        var errors = Validate();
        return errors.Count == 0 ? this : throw new ValidationException(errors);
    }

    private void ValidateRootPath(List<ValidationError> errors)
    {
        if (string.IsNullOrWhiteSpace(RootPath))
        {
            errors.Add(new("rootPath", $"is required, for example {DefaultRootPath}"));
        }
        else if (RootPath.Length > MaxRootPathLength)
        {
            errors.Add(new("rootPath", $"must be at most {MaxRootPathLength} characters (was {RootPath.Length})"));
        }
        else if (!ZnodePath.IsValid(RootPath) || RootPath == ZnodePath.Root)
        {
            errors.Add(new("rootPath", $"must be an absolute znode path below / without a trailing '/', empty, '.' or '..' segments or control characters, for example {DefaultRootPath} (was '{RootPath}')"));
        }
        else if (ZnodePath.IsReserved(RootPath))
        {
            errors.Add(new("rootPath", $"must not be under /zookeeper, which ZooKeeper reserves (was '{RootPath}')"));
        }
    }
}
