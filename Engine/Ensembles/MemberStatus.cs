namespace QuorumPortal.Engine.Ensembles;

/// <summary>
/// What one probe of a member found. The meaning is the same for every backend; names and units follow
/// ZooKeeper's <c>mntr</c> and <c>srvr</c> (latencies in ms, counters since the member started).
/// </summary>
public sealed record MemberStatus
{
    public required int ServerId { get; init; }

    /// <summary>When the probe was answered (or failed).</summary>
    public required DateTimeOffset ProbedAt { get; init; }

    /// <summary><c>zk_server_state</c>; <see cref="PeerState.Down"/> when the member did not answer.</summary>
    public PeerState State { get; init; } = PeerState.Down;

    /// <summary>ZAB phase; null when unknown (ZooKeeper reports it in mntr's zk_peer_state).</summary>
    public ZabPhase? Phase { get; init; }

    /// <summary>Participant or observer, as the member's current configuration says.</summary>
    public MemberRole Role { get; init; } = MemberRole.Participant;

    /// <summary>The leader this member follows (or itself when leading); null when it knows none.</summary>
    public int? LeaderId { get; init; }

    /// <summary>Current epoch (the high 32 bits of the zxids it now writes).</summary>
    public long Epoch { get; init; }

    /// <summary>Last zxid the member has processed (<c>srvr</c>'s Zxid).</summary>
    public long LastZxid { get; init; }

    /// <summary>Version of the membership configuration the member runs (a zxid).</summary>
    public long ConfigVersion { get; init; }

    /// <summary>When the member last heard its leader (a follower or observer) or a quorum of its followers (a leader).</summary>
    public DateTimeOffset? LastHeartbeat { get; init; }

    /// <summary><c>zk_min_latency</c>, <c>zk_avg_latency</c>, <c>zk_max_latency</c>: request latency in ms.</summary>
    public double LatencyMin { get; init; }

    public double LatencyAvg { get; init; }

    public double LatencyMax { get; init; }

    /// <summary><c>zk_outstanding_requests</c>.</summary>
    public long OutstandingRequests { get; init; }

    /// <summary><c>zk_num_alive_connections</c>: client connections.</summary>
    public int Connections { get; init; }

    /// <summary><c>zk_znode_count</c>.</summary>
    public long ZnodeCount { get; init; }

    /// <summary><c>zk_packets_received</c> and <c>zk_packets_sent</c>.</summary>
    public long PacketsReceived { get; init; }

    public long PacketsSent { get; init; }

    /// <summary>Read and write requests this member has completed for its clients; null when the backend cannot tell.</summary>
    public long? ReadsServed { get; init; }

    public long? WritesServed { get; init; }

    /// <summary>Followers synced to this leader (<c>zk_synced_followers</c>); null when not leading.</summary>
    public int? SyncedFollowers { get; init; }

    /// <summary>Why the probe failed, when <see cref="State"/> is down.</summary>
    public string? Error { get; init; }

    /// <summary>The probe's raw text (ZooKeeper's <c>mntr</c>/<c>srvr</c> output), when there is any.</summary>
    public string? Raw { get; init; }

    /// <summary>
    /// The member's client connections; null unless the probe was asked for them (<c>ProbeDetail.Clients</c>: the
    /// monitor's rounds never ask, a page does while it shows them) or when they could not be listed (<see cref="ClientsError"/>).
    /// </summary>
    public IReadOnlyList<ClientConnection>? Clients { get; init; }

    /// <summary>Why <see cref="Clients"/> is null although they were asked for (not whitelisted, not serving, not supported).</summary>
    public string? ClientsError { get; init; }

    /// <summary>
    /// Whether the member's process runs. True for every member that answered its probe; for one reported
    /// <see cref="PeerState.Down"/> because its state could not be read, true when it still answered a liveness check
    /// (ZooKeeper's <c>ruok</c>: <c>imok</c>), so "up but not answering its status" shows apart from "not running".
    /// </summary>
    public bool ProcessUp
    {
        get => _processUp ?? State != PeerState.Down;
        init => _processUp = value;
    }

    private readonly bool? _processUp;

    public bool IsServing => State is PeerState.Leading or PeerState.Following or PeerState.Observing;

    public static MemberStatus Down(int serverId, DateTimeOffset at, string error) =>
        new() { ServerId = serverId, ProbedAt = at, State = PeerState.Down, Error = error };
}
