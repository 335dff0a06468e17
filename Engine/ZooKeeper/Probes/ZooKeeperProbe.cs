using System.Text;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>
/// Probes one ZooKeeper member over four-letter words and reports a <see cref="MemberStatus"/>. Never throws for a
/// member that does not answer: that is <see cref="PeerState.Down"/> with <see cref="MemberStatus.Error"/>.
/// </summary>
/// <remarks>
/// Where each field comes from (ZooKeeper 3.8):
/// <list type="bullet">
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
/// whitelisted). <c>SyncedFollowers</c>: <c>zk_synced_followers</c>, leader only.</item>
/// <item><c>ReadsServed</c>/<c>WritesServed</c>: <c>zk_cnt_readlatency</c>/<c>zk_cnt_updatelatency</c>, the number of
/// client reads (pings included) and writes (session create/close included) this member completed; null without mntr.</item>
/// <item><c>LastHeartbeat</c>: null — 4lw does not expose it.</item>
/// </list>
/// </remarks>
public sealed class ZooKeeperProbe(FourLetterWordClient client, TimeProvider time)
{
    public ZooKeeperProbe()
        : this(new FourLetterWordClient(), TimeProvider.System)
    {
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Host, int Port), CachedConf> _conf = new();

    /// <summary>
    /// How long a member's <c>conf</c> answer (its role, server id and config version) is reused. It is fetched
    /// again sooner when the member's mode or epoch changes. Default 10 s; zero fetches it every probe.
    /// </summary>
    public TimeSpan ConfRefreshInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs <c>srvr</c> and <c>mntr</c> together against <paramref name="member"/>'s client port, and <c>conf</c> when
    /// its cached answer is stale: each word is a TCP connection, and three per member per round kept one core from
    /// probing a thousand members at 4 Hz (docs/benchmarks.md, zk-probe).
    /// </summary>
    public async Task<MemberStatus> ProbeAsync(MemberSpec member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        var at = time.GetUtcNow();
        var raw = new StringBuilder();
        string srvrText;
        var mntrTask = OptionalAsync(member, "mntr", cancellationToken);
        try
        {
            srvrText = await client.SendAsync(member.Host, member.ClientPort, "srvr", cancellationToken).ConfigureAwait(false);
        }
        catch (FourLetterWordException e)
        {
            await Observe(mntrTask).ConfigureAwait(false);
            return MemberStatus.Down(member.ServerId, at, e.Message);
        }

        raw.Append("srvr:\n").Append(srvrText);
        if (FourLetterWordClient.IsNotServing(srvrText))
        {
            await Observe(mntrTask).ConfigureAwait(false);
            return Looking(member, at, raw.ToString());
        }

        try
        {
            var srvr = SrvrParser.Parse(srvrText);
            var mntrText = await mntrTask.ConfigureAwait(false);
            var key = (member.Host, member.ClientPort);
            var cached = _conf.TryGetValue(key, out var c) && at - c.At < ConfRefreshInterval && c.Mode == srvr.Mode
                && Zxid.EpochOf(c.Zxid) == Zxid.EpochOf(srvr.Zxid) ? c : null;
            var confText = cached?.Text ?? await OptionalAsync(member, "conf", cancellationToken).ConfigureAwait(false);

            // Appended piece by piece: concatenating first copied the ~17 KB mntr answer once more per probe.
            raw.EnsureCapacity(raw.Length + (mntrText?.Length ?? 0) + (confText?.Length ?? 0) + 24);
            if (mntrText is not null)
            {
                raw.Append("\nmntr:\n").Append(mntrText);
            }

            if (confText is not null)
            {
                raw.Append(cached is null ? "\nconf:\n" : "\nconf (cached):\n").Append(confText);
            }

            if (mntrText is not null && FourLetterWordClient.IsNotServing(mntrText)
                || confText is not null && FourLetterWordClient.IsNotServing(confText))
            {
                _conf.TryRemove(key, out _);
                return Looking(member, at, raw.ToString()); // it lost its quorum between two words
            }

            var mntr = mntrText is null ? null : MntrParser.Parse(mntrText);
            var conf = cached?.Report ?? (confText is null ? null : ConfParser.Parse(confText));
            if (cached is null && conf is not null && confText is not null)
            {
                _conf[key] = new CachedConf(confText, conf, srvr.Mode, srvr.Zxid, at);
            }

            return ToStatus(member, at, srvr, mntr, conf, raw.ToString());
        }
        catch (FourLetterWordException e)
        {
            return MemberStatus.Down(member.ServerId, at, e.Message) with { Raw = raw.ToString() };
        }
        catch (FormatException e)
        {
            return MemberStatus.Down(member.ServerId, at, $"{member.Host}:{member.ClientPort} gave an answer the probe cannot read: {e.Message}")
                with { Raw = raw.ToString() };
        }
    }

    private static async Task Observe(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (FourLetterWordException)
        {
            // The member did not answer srvr either; that is the probe's result.
        }
    }

    private sealed record CachedConf(string Text, ConfReport Report, string Mode, long Zxid, DateTimeOffset At);

    private async Task<string?> OptionalAsync(MemberSpec member, string word, CancellationToken cancellationToken)
    {
        try
        {
            return await client.SendAsync(member.Host, member.ClientPort, word, cancellationToken).ConfigureAwait(false);
        }
        catch (FourLetterWordException e) when (e.Failure == FourLetterWordFailure.NotWhitelisted)
        {
            return null; // srvr is always allowed; the rest is extra detail
        }
    }

    private static MemberStatus Looking(MemberSpec member, DateTimeOffset at, string raw) => new()
    {
        ServerId = member.ServerId,
        ProbedAt = at,
        State = PeerState.Looking,
        Phase = ZabPhase.Election,
        Role = member.Role,
        Raw = raw,
    };

    internal static MemberStatus ToStatus(MemberSpec member, DateTimeOffset at, SrvrReport srvr, MntrReport? mntr, ConfReport? conf, string raw)
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
            Connections = mntr?.NumAliveConnections ?? srvr.Connections,
            ZnodeCount = mntr?.ZnodeCount ?? srvr.NodeCount,
            PacketsReceived = mntr?.PacketsReceived ?? srvr.Received,
            PacketsSent = mntr?.PacketsSent ?? srvr.Sent,
            ReadsServed = mntr?.ReadRequests,
            WritesServed = mntr?.WriteRequests,
            SyncedFollowers = state == PeerState.Leading ? mntr?.SyncedFollowers : null,
            Raw = raw,
        };
    }

    // "following - broadcast", "leading - synchronization - snap"
    private static ZabPhase? PhaseOf(string? peerState)
    {
        var parts = peerState?.Split(" - ", StringSplitOptions.TrimEntries);
        return parts is { Length: >= 2 } && Enum.TryParse<ZabPhase>(parts[1], ignoreCase: true, out var phase) ? phase : null;
    }
}
