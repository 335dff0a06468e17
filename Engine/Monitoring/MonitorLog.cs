using Microsoft.Extensions.Logging;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Monitoring;

internal static partial class MonitorLog
{
    [LoggerMessage(1, LogLevel.Information, "Ensemble {Ensemble}: server {NewLeaderId} elected leader in epoch {Epoch} (previous leader {OldLeaderId}, leaderless for {LeaderlessFor})")]
    public static partial void LeaderElected(ILogger logger, string ensemble, int newLeaderId, long epoch, int? oldLeaderId, TimeSpan? leaderlessFor);

    [LoggerMessage(2, LogLevel.Warning, "Ensemble {Ensemble}: leader {OldLeaderId} of epoch {Epoch} lost")]
    public static partial void LeaderLost(ILogger logger, string ensemble, int oldLeaderId, long epoch);

    [LoggerMessage(3, LogLevel.Warning, "Ensemble {Ensemble}: quorum lost, {ServingVoters} of {Voters} voters serving")]
    public static partial void QuorumLost(ILogger logger, string ensemble, int servingVoters, int voters);

    [LoggerMessage(4, LogLevel.Information, "Ensemble {Ensemble}: quorum restored, {ServingVoters} of {Voters} voters serving after {WithoutQuorumFor} without")]
    public static partial void QuorumRestored(ILogger logger, string ensemble, int servingVoters, int voters, TimeSpan withoutQuorumFor);

    [LoggerMessage(5, LogLevel.Information, "Ensemble {Ensemble}: server {ServerId} went from {OldState} to {NewState} (epoch {Epoch})")]
    public static partial void PeerStateChanged(ILogger logger, string ensemble, int serverId, PeerState oldState, PeerState newState, long epoch);

    [LoggerMessage(6, LogLevel.Warning, "Ensemble {Ensemble}: server {ServerId} has missed heartbeats for {MissedFor}")]
    public static partial void HeartbeatMissed(ILogger logger, string ensemble, int serverId, TimeSpan missedFor);

    [LoggerMessage(7, LogLevel.Information, "Ensemble {Ensemble}: membership changed to {MemberCount} members (config version {ConfigVersion})")]
    public static partial void MembershipChanged(ILogger logger, string ensemble, int memberCount, long configVersion);

    [LoggerMessage(8, LogLevel.Debug, "Ensemble {Ensemble}: probe of server {ServerId} failed: {Error}")]
    public static partial void ProbeFailed(ILogger logger, string ensemble, int serverId, string error);

    [LoggerMessage(9, LogLevel.Error, "Ensemble {Ensemble}: probe round failed; the monitor carries on")]
    public static partial void RoundFailed(ILogger logger, Exception exception, string ensemble);

    [LoggerMessage(10, LogLevel.Debug, "Ensemble {Ensemble}: probe round took {Elapsed}, longer than the {Interval} interval; the next round starts at once")]
    public static partial void RoundOverran(ILogger logger, string ensemble, TimeSpan elapsed, TimeSpan interval);

    [LoggerMessage(11, LogLevel.Information, "Ensemble {Ensemble}: monitor started, probing every {Interval}")]
    public static partial void Started(ILogger logger, string ensemble, TimeSpan interval);

    [LoggerMessage(12, LogLevel.Information, "Ensemble {Ensemble}: monitor stopped")]
    public static partial void Stopped(ILogger logger, string ensemble);
}
