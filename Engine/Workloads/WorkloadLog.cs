using Microsoft.Extensions.Logging;

namespace QuorumPortal.Engine.Workloads;

internal static partial class WorkloadLog
{
    [LoggerMessage(1, LogLevel.Information, "Ensemble {Ensemble}: workload started ({Summary}) under {RootPath}, seed {Seed}")]
    public static partial void Started(ILogger logger, string ensemble, string summary, string rootPath, int seed);

    [LoggerMessage(2, LogLevel.Information, "Ensemble {Ensemble}: workload running, {Keys} keys under {RootPath}")]
    public static partial void Running(ILogger logger, string ensemble, int keys, string rootPath);

    [LoggerMessage(3, LogLevel.Information, "Ensemble {Ensemble}: workload {State}: {Reads} reads, {Writes} writes, {Errors} errors, {Skipped} skipped")]
    public static partial void Stopped(ILogger logger, string ensemble, WorkloadState state, long reads, long writes, long errors, long skipped);

    [LoggerMessage(4, LogLevel.Error, "Ensemble {Ensemble}: workload failed")]
    public static partial void RunFailed(ILogger logger, Exception exception, string ensemble);

    [LoggerMessage(5, LogLevel.Information, "Ensemble {Ensemble}: workload session {Index} reopened as 0x{SessionId:x}")]
    public static partial void SessionReopened(ILogger logger, string ensemble, int index, long sessionId);

    [LoggerMessage(6, LogLevel.Debug, "Ensemble {Ensemble}: workload session {Index} did not open: {Error}; retrying")]
    public static partial void SessionOpenFailed(ILogger logger, string ensemble, int index, string error);

    [LoggerMessage(7, LogLevel.Warning, "Ensemble {Ensemble}: {Count} workload requests still unanswered after being abandoned")]
    public static partial void RequestsStuck(ILogger logger, string ensemble, int count);

    [LoggerMessage(8, LogLevel.Information, "Ensemble {Ensemble}: workload key space {RootPath} deleted")]
    public static partial void KeySpaceDeleted(ILogger logger, string ensemble, string rootPath);

    [LoggerMessage(9, LogLevel.Warning, "Ensemble {Ensemble}: workload key space {RootPath} not deleted: {Reason}")]
    public static partial void KeySpaceNotDeleted(ILogger logger, string ensemble, string rootPath, string reason);

    [LoggerMessage(10, LogLevel.Information, "Ensemble {Ensemble}: workload stopped because the ensemble is no longer registered")]
    public static partial void EnsembleGone(ILogger logger, string ensemble);

    [LoggerMessage(11, LogLevel.Warning, "Ensemble {Ensemble}: a subscriber to workload changes threw")]
    public static partial void SubscriberFailed(ILogger logger, Exception exception, string ensemble);

    [LoggerMessage(12, LogLevel.Warning, "Checking the registry for removed ensembles failed; checking again in a second")]
    public static partial void RegistryCheckFailed(ILogger logger, Exception exception);
}
