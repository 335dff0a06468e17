using System.Collections.Concurrent;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>
/// Probes one ZooKeeper member and reports a <see cref="MemberStatus"/>: through its AdminServer (HTTP, JSON) when it
/// has one that answers, else with four-letter words. Both give the same status for the same server. Never throws for
/// a member that does not answer: that is <see cref="PeerState.Down"/> with <see cref="MemberStatus.Error"/>.
/// </summary>
/// <remarks>
/// Where each field comes from (ZooKeeper 3.8):
/// <list type="bullet">
/// <item>Each round reads <c>srvr</c> and <c>mntr</c>: as four-letter words (a TCP connection each) or as the
/// AdminServer's <c>server_stats</c> and <c>monitor</c> (the same fields as JSON, two requests on one kept-alive
/// connection). <c>conf</c> is always the four-letter word: the 3.8 AdminServer's <c>conf</c> lacks the role and the
/// config version.</item>
/// <item><c>State</c>: <c>zk_server_state</c> (else srvr <c>Mode</c>): leader→Leading, follower→Following,
/// observer→Observing, standalone→Leading (it serves alone), read-only→Looking (no quorum); the
/// "not currently serving requests" answer→Looking; refused or timed out→Down.</item>
/// <item><c>Phase</c>: the second part of <c>zk_peer_state</c> ("following - broadcast"); Election when looking.</item>
/// <item><c>Epoch</c>, <c>LastZxid</c>: srvr <c>Zxid</c>, the last zxid processed; the epoch is its high 32 bits, so a
/// follower shows the new epoch only once the new leader has committed something (a new leader shows
/// <c>epoch/0</c> at once).</item>
/// <item><c>LeaderId</c>: the member itself when leading; <c>zk_observer_master_id</c> for an observer (its leader
/// unless observer masters are configured); null for a follower — 4lw does not say whom it follows.</item>
/// <item><c>Role</c>: conf <c>peerType</c>; <c>ConfigVersion</c>: conf's <c>version=</c> line.</item>
/// <item>Latency, packets, connections, outstanding, znodes: mntr's <c>zk_*</c> gauges (srvr's when mntr is not
/// whitelisted). <c>SyncedFollowers</c>: <c>zk_synced_followers</c>, leader only. A four-letter word is itself a client
/// connection with one packet each way: <c>Connections</c> leaves the probe's own connection out (the words go one at a
/// time, so that is exactly one), but the packet counters include every word any prober ever sent.</item>
/// <item><c>ReadsServed</c>/<c>WritesServed</c>: <c>zk_cnt_readlatency</c>/<c>zk_cnt_updatelatency</c>, the number of
/// client reads (pings included) and writes (session create/close included) this member completed; null without mntr.</item>
/// <item><c>LastHeartbeat</c>: null — 4lw does not expose it.</item>
/// </list>
/// </remarks>
public sealed partial class ZooKeeperProbe(FourLetterWordClient client, AdminServerClient adminServer, TimeProvider time)
{
    public ZooKeeperProbe()
        : this(new FourLetterWordClient(), TimeProvider.System)
    {
    }

    public ZooKeeperProbe(FourLetterWordClient client, TimeProvider time)
        : this(client, AdminServerClient.Shared, time)
    {
    }

    private readonly ConcurrentDictionary<(string Host, int Port), CachedConf> _conf = new();
    private readonly ConcurrentDictionary<Uri, DateTimeOffset> _adminServerSilentUntil = new();

    /// <summary>
    /// How long a member's <c>conf</c> answer (its role, server id and config version) is reused. It is fetched
    /// again sooner when the member's mode or epoch changes. Default 10 s; zero fetches it every probe.
    /// </summary>
    public TimeSpan ConfRefreshInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After an AdminServer gave no usable answer (refused, timed out, not ZooKeeper's JSON), how long the member is
    /// probed with four-letter words before its AdminServer is tried again. Default 30 s.
    /// </summary>
    public TimeSpan AdminServerRetryInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Probes <paramref name="member"/>'s client port with four-letter words.</summary>
    public Task<MemberStatus> ProbeAsync(MemberSpec member, CancellationToken cancellationToken) =>
        ProbeAsync(member, adminServer: null, cancellationToken);

    /// <summary>
    /// Probes <paramref name="member"/> through its AdminServer when <paramref name="adminServer"/> is given and
    /// answers, else with four-letter words on its client port.
    /// </summary>
    /// <param name="adminServer">The member's AdminServer commands URL (<see cref="AdminServerClient.CommandsUrl"/>), or null.</param>
    public async Task<MemberStatus> ProbeAsync(MemberSpec member, Uri? adminServer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        var at = time.GetUtcNow();
        if (adminServer is not null && !(_adminServerSilentUntil.TryGetValue(adminServer, out var silentUntil) && at < silentUntil))
        {
            var status = await ProbeAdminServerAsync(member, adminServer, at, cancellationToken).ConfigureAwait(false);
            if (status is not null)
            {
                return status;
            }

            _adminServerSilentUntil[adminServer] = at + AdminServerRetryInterval;
        }

        return await ProbeFourLetterWordsAsync(member, at, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Everything after <c>srvr</c>: <c>conf</c> when its cached answer is stale, one string of raw text (the large
    /// answer decoded straight into it), then the status. <paramref name="parseSecond"/> reads the mntr answer.
    /// </summary>
    private async Task<MemberStatus> CompleteAsync(MemberSpec member, DateTimeOffset at, SrvrReport srvr, Answers answers,
        Func<string, Range, MntrReport> parseSecond, int ownConnections, CancellationToken cancellationToken)
    {
        string? raw = null;
        try
        {
            var conf = await ConfAsync(member, srvr, at, cancellationToken).ConfigureAwait(false);
            raw = answers.Join(conf, out var secondRange);
            if (answers.Second is not null && FourLetterWordClient.IsNotServing(raw.AsSpan()[secondRange])
                || conf is not null && FourLetterWordClient.IsNotServing(conf.Text))
            {
                _conf.TryRemove((member.Host, member.ClientPort), out _);
                return Looking(member, at, raw); // it lost its quorum between two answers
            }

            var mntr = answers.Second is null ? null : parseSecond(raw, secondRange);
            var confReport = conf?.Cached ?? (conf is null ? null : ConfParser.Parse(conf.Text));
            if (conf is { Cached: null } && confReport is not null)
            {
                _conf[(member.Host, member.ClientPort)] = new CachedConf(conf.Text, confReport, srvr.Mode, srvr.Zxid, at);
            }

            return ToStatus(member, at, srvr, mntr, confReport, raw, ownConnections);
        }
        catch (FourLetterWordException e)
        {
            return MemberStatus.Down(member.ServerId, at, e.Message) with { Raw = raw ?? answers.First };
        }
        catch (FormatException e)
        {
            return Unreadable(member, at, e, raw ?? answers.First);
        }
    }

    // The cached conf while it is fresh and the member's mode and epoch are unchanged, else asked again.
    private async Task<ConfAnswer?> ConfAsync(MemberSpec member, SrvrReport srvr, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (_conf.TryGetValue((member.Host, member.ClientPort), out var cached) && at - cached.At < ConfRefreshInterval
            && cached.Mode == srvr.Mode && Zxid.EpochOf(cached.Zxid) == Zxid.EpochOf(srvr.Zxid))
        {
            return new ConfAnswer(cached.Text, cached.Report);
        }

        using var answer = await OptionalAsync(member, "conf", cancellationToken).ConfigureAwait(false);
        return answer is null ? null : new ConfAnswer(answer.ToString(), null);
    }

    private async Task<PooledAnswer?> OptionalAsync(MemberSpec member, string word, CancellationToken cancellationToken)
    {
        try
        {
            return await client.ExchangeAsync(member.Host, member.ClientPort, word, cancellationToken).ConfigureAwait(false);
        }
        catch (FourLetterWordException e) when (e.Failure == FourLetterWordFailure.NotWhitelisted)
        {
            return null; // srvr is always allowed; the rest is extra detail
        }
    }

    // After srvr answered: the process runs, though the status cannot be read.
    private static MemberStatus Unreadable(MemberSpec member, DateTimeOffset at, FormatException e, string raw) =>
        MemberStatus.Down(member.ServerId, at, UnreadableMessage(member, e)) with { Raw = raw, ProcessUp = true };

    private static string UnreadableMessage(MemberSpec member, FormatException e) =>
        $"{member.Host}:{member.ClientPort} gave an answer the probe cannot read: {e.Message}";

    private sealed record CachedConf(string Text, ConfReport Report, string Mode, long Zxid, DateTimeOffset At);

    private sealed record ConfAnswer(string Text, ConfReport? Cached);

    private static MemberStatus Looking(MemberSpec member, DateTimeOffset at, string raw) => new()
    {
        ServerId = member.ServerId,
        ProbedAt = at,
        State = PeerState.Looking,
        Phase = ZabPhase.Election,
        Role = member.Role,
        Raw = raw,
    };

    /// <param name="ownConnections">Client connections the probe itself held when the member counted them.</param>
    internal static MemberStatus ToStatus(MemberSpec member, DateTimeOffset at, SrvrReport srvr, MntrReport? mntr, ConfReport? conf, string raw,
        int ownConnections = 0)
    {
        if (conf is not null && conf.ServerId != 0 && conf.ServerId != member.ServerId)
        {
            // A port reused by another ensemble would otherwise show someone else's state.
            return MemberStatus.Down(member.ServerId, at,
                $"{member.Host}:{member.ClientPort} is answered by server id {conf.ServerId}, not {member.ServerId}") with { Raw = raw };
        }

        var mode = mntr?.ServerState ?? srvr.Mode;
        PeerState? state = mode switch
        {
            "leader" or "standalone" => PeerState.Leading,
            "follower" => PeerState.Following,
            "observer" => PeerState.Observing,
            "read-only" => PeerState.Looking,
            _ => null,
        };
        if (state is null)
        {
            return MemberStatus.Down(member.ServerId, at, $"{member.Host}:{member.ClientPort} reports an unknown mode '{mode}'") with { Raw = raw };
        }

        return new MemberStatus
        {
            ServerId = member.ServerId,
            ProbedAt = at,
            State = state.Value,
            Phase = state == PeerState.Looking ? ZabPhase.Election : PhaseOf(mntr?.PeerState),
            Role = conf?.Role ?? (state == PeerState.Observing ? MemberRole.Observer : member.Role),
            LeaderId = state switch
            {
                PeerState.Leading => member.ServerId,
                PeerState.Observing => mntr?.ObserverMasterId,
                _ => null,
            },
            Epoch = Zxid.EpochOf(srvr.Zxid),
            LastZxid = srvr.Zxid,
            ConfigVersion = conf?.ConfigVersion ?? 0,
            LatencyMin = mntr?.MinLatency ?? srvr.LatencyMin,
            LatencyAvg = mntr?.AvgLatency ?? srvr.LatencyAvg,
            LatencyMax = mntr?.MaxLatency ?? srvr.LatencyMax,
            OutstandingRequests = mntr?.OutstandingRequests ?? srvr.Outstanding,
            Connections = Math.Max(0, (mntr?.NumAliveConnections ?? srvr.Connections) - ownConnections),
            ZnodeCount = mntr?.ZnodeCount ?? srvr.NodeCount,
            PacketsReceived = mntr?.PacketsReceived ?? srvr.Received,
            PacketsSent = mntr?.PacketsSent ?? srvr.Sent,
            ReadsServed = mntr?.ReadRequests,
            WritesServed = mntr?.WriteRequests,
            SyncedFollowers = state == PeerState.Leading ? mntr?.SyncedFollowers : null,
            Raw = raw,
        };
    }

    // "following - broadcast", "leading - synchronization - snap": the second part.
    private static ZabPhase? PhaseOf(string? peerState)
    {
        var rest = peerState.AsSpan();
        var first = rest.IndexOf(" - ", StringComparison.Ordinal);
        if (first < 0)
        {
            return null;
        }

        rest = rest[(first + 3)..];
        var second = rest.IndexOf(" - ", StringComparison.Ordinal);
        return Enum.TryParse<ZabPhase>((second < 0 ? rest : rest[..second]).Trim(), ignoreCase: true, out var phase) ? phase : null;
    }
}
