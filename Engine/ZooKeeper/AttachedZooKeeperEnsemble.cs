using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Client;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.ZooKeeper;

/// <summary>
/// An ensemble someone else runs, attached by connection string (issue 3): the portal monitors it with four-letter
/// words, opens client sessions and sends reconfig with the given digest credentials, but never starts or stops its
/// processes — those methods throw <see cref="NotSupportedException"/>.
/// </summary>
/// <remarks>
/// Members come from <c>/zookeeper/config</c>, read on <see cref="StartAsync"/> and after each reconfig. When that node is
/// empty (a standalone server, or <c>reconfigEnabled=false</c> on old versions) the members are the connection string's
/// servers, each with the id its <c>conf</c> answer gives (<c>serverId</c>), or its 1-based position in the connection
/// string when <c>conf</c> gives none (standalone says 0, or <c>conf</c> is not whitelisted); their quorum ports are then unknown (0).
/// </remarks>
public sealed class AttachedZooKeeperEnsemble : IEnsembleBackend
{
    private readonly string _connectionString;
    private readonly IReadOnlyList<(string Host, int Port)> _servers;
    private readonly DigestCredentials? _credentials;
    private readonly TimeProvider _time;
    private readonly FourLetterWordClient _fourLetterWords = new();
    private readonly ZooKeeperProbe _probe;
    private readonly Lock _gate = new();
    private IReadOnlyList<MemberSpec> _configuration = [];
    private ZooKeeperClient? _session;

    /// <param name="name">The portal's name for the ensemble.</param>
    /// <param name="connectionString">"host:port,host:port" (no chroot).</param>
    /// <param name="credentials">Added to every session the portal opens; reconfig needs them (usually the super user).</param>
    /// <exception cref="ArgumentException">the connection string names no server or a server that is not host:port.</exception>
    public AttachedZooKeeperEnsemble(string name, string connectionString, DigestCredentials? credentials = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _connectionString = connectionString;
        _servers = new ZooKeeperClientOptions { ConnectionString = connectionString }.ParseServers();
        _credentials = credentials;
        _time = time ?? TimeProvider.System;
        _probe = new ZooKeeperProbe(_fourLetterWords, _time);
    }

    public string Name { get; }

    public BackendKind Kind => BackendKind.AttachedZooKeeper;

    public BackendCapabilities Capabilities { get; } = new(ProcessControl: false, Reconfigure: true, ApplySettings: false, FaultInjection: false);

    /// <summary>The last configuration read; empty before <see cref="StartAsync"/>. An attached ensemble has no joiners of the portal's.</summary>
    public IReadOnlyList<MemberSpec> Members
    {
        get
        {
            lock (_gate)
            {
                return _configuration;
            }
        }
    }

    public IReadOnlyList<MemberSpec> Configuration => Members;

    /// <summary>ZooKeeper's defaults: the portal does not read or change an attached ensemble's settings.</summary>
    public EnsembleSettings Settings { get; } = new();

    /// <summary>How long connecting may take over all servers. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connects the portal's own session (kept until <see cref="StopAsync"/>) and reads the members; starts nothing.</summary>
    /// <exception cref="InvalidOperationException">no server of the connection string accepted a session, or the credentials were rejected.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        bool attached;
        lock (_gate)
        {
            attached = _session is not null;
        }

        if (!attached)
        {
            ZooKeeperClient? fresh;
            try
            {
                fresh = await ConnectAsync(_connectionString, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            }
            catch (CoordinationException e)
            {
                throw new InvalidOperationException($"cannot attach {Name} at {_connectionString}: {e.Message}", e);
            }

            lock (_gate)
            {
                (_session, fresh) = _session is null ? (fresh, null) : (_session, fresh);
            }

            if (fresh is not null)
            {
                await fresh.DisposeAsync().ConfigureAwait(false); // a concurrent StartAsync won
            }
        }

        await RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the portal's own session only; the ensemble keeps running (the registry calls this at shutdown).</summary>
    public async Task StopAsync(StopMode mode, CancellationToken cancellationToken)
    {
        ZooKeeperClient? session;
        lock (_gate)
        {
            (session, _session) = (_session, null);
        }

        if (session is not null)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    public Task StartMemberAsync(int serverId, CancellationToken cancellationToken) => throw NoProcessControl($"start server {serverId}");

    public Task StopMemberAsync(int serverId, StopMode mode, CancellationToken cancellationToken) => throw NoProcessControl($"stop server {serverId}");

    public Task<MemberSpec> ProvisionMemberAsync(MemberSpec member, CancellationToken cancellationToken) =>
        throw NoProcessControl($"provision server {member.ServerId}; start it yourself, then add it with a reconfig");

    public Task DecommissionMemberAsync(int serverId, bool deleteData, CancellationToken cancellationToken) => throw NoProcessControl($"decommission server {serverId}");

    public Task ApplySettingsAsync(EnsembleSettings settings, CancellationToken cancellationToken) => throw NoProcessControl("apply settings");

    public async Task<MemberStatus> ProbeAsync(int serverId, ProbeDetail detail, CancellationToken cancellationToken) =>
        await _probe.ProbeAsync(Member(serverId), adminServer: null, detail, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Adds <paramref name="joining"/> (already running, started by their operator, with host and ports given) and
    /// removes <paramref name="leaving"/>, with the attach credentials; then the members are those of the new config.
    /// A leaver keeps running: stopping it is its operator's job.
    /// </summary>
    public Task<ReconfigResult> ReconfigureAsync(IReadOnlyList<MemberSpec> joining, IReadOnlyList<int> leaving, CancellationToken cancellationToken) =>
        ReconfigureAsync(joining, leaving, ReconfigOptions.Default, cancellationToken);

    /// <summary>As above; the joiners are their operator's processes, so a failed change leaves them as they are.</summary>
    public async Task<ReconfigResult> ReconfigureAsync(IReadOnlyList<MemberSpec> joining, IReadOnlyList<int> leaving, ReconfigOptions options, CancellationToken cancellationToken)
    {
        var current = Configuration;
        ZooKeeperReconfig.EnsureValid(Name, Settings, current, joining, leaving);
        var remaining = current.Where(m => !leaving.Contains(m.ServerId)).ToList();
        var (version, members) = await ZooKeeperReconfig.RunAsync(
            Name,
            ct => ConnectAsync(remaining.Count > 0 ? Endpoints(remaining) : _connectionString, TimeSpan.FromSeconds(10), ct),
            null, // ConnectAsync adds the credentials to every session
            joining,
            leaving,
            options.ExpectedConfigVersion,
            _ => Task.FromResult(JoinerOutcome.None),
            cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _configuration = members;
        }

        return new ReconfigResult(version, members);
    }

    /// <summary>A session on the connection string, or on the members in <see cref="ClientOptions.ServerIds"/>; credentials added.</summary>
    public async Task<ICoordinationClient> OpenClientAsync(ClientOptions options, CancellationToken cancellationToken)
    {
        var connectionString = options.ServerIds.Count == 0 ? _connectionString : Endpoints(options.ServerIds.Select(Member).ToList());
        return await ConnectAsync(connectionString, options.SessionTimeout, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync(StopMode.Graceful, CancellationToken.None).ConfigureAwait(false);

    /// <summary>Reads <c>/zookeeper/config</c> on the portal's session (synced first, so a follower is not behind).</summary>
    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        ZooKeeperClient session;
        lock (_gate)
        {
            session = _session ?? throw new InvalidOperationException($"{Name} is not attached; call StartAsync first");
        }

        await session.SyncAsync(ZooKeeperClient.ConfigNode, cancellationToken).ConfigureAwait(false);
        var config = await session.GetConfigAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var (_, members) = ZooKeeperReconfig.ParseConfig(Encoding.UTF8.GetString(config.Data));
        if (members.Count == 0)
        {
            members = await FromConnectionStringAsync(cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            _configuration = members;
        }
    }

    private async Task<IReadOnlyList<MemberSpec>> FromConnectionStringAsync(CancellationToken cancellationToken)
    {
        var members = new List<MemberSpec>();
        for (var i = 0; i < _servers.Count; i++)
        {
            var (host, port) = _servers[i];
            var id = 0;
            try
            {
                id = ConfParser.Parse(await _fourLetterWords.SendAsync(host, port, "conf", cancellationToken).ConfigureAwait(false)).ServerId;
            }
            catch (Exception e) when (e is FourLetterWordException or FormatException)
            {
                // Down, not whitelisted or not serving: the position stands in for the id.
            }

            members.Add(new MemberSpec { ServerId = id > 0 ? id : i + 1, Host = host, ClientPort = port });
        }

        return members;
    }

    private MemberSpec Member(int serverId) =>
        Members.FirstOrDefault(m => m.ServerId == serverId) ?? throw new KeyNotFoundException($"{Name} has no server.{serverId}");

    private static string Endpoints(IReadOnlyList<MemberSpec> members) => string.Join(",", members.Select(m => $"{m.Host}:{m.ClientPort}"));

    private async Task<ZooKeeperClient> ConnectAsync(string connectionString, TimeSpan sessionTimeout, CancellationToken cancellationToken)
    {
        var byEndpoint = Members.GroupBy(m => $"{m.Host}:{m.ClientPort}").ToDictionary(g => g.Key, g => g.First().ServerId);
        var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectionString = connectionString,
            SessionTimeout = sessionTimeout,
            ConnectTimeout = ConnectTimeout,
            ServerIdLookup = endpoint => byEndpoint.TryGetValue(endpoint, out var id) ? id : null,
            TimeProvider = _time,
        }, cancellationToken).ConfigureAwait(false);
        if (_credentials is null)
        {
            return client;
        }

        try
        {
            await client.AddAuthDigestAsync(_credentials.User, _credentials.Password, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private NotSupportedException NoProcessControl(string what) =>
        new($"cannot {what}: {Name} is attached: the portal does not control its processes");
}
