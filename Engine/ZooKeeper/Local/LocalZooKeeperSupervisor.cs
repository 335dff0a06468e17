using System.Globalization;
using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.ZooKeeper.Local;

/// <summary>
/// Runs an ensemble as local <c>QuorumPeerMain</c> processes under one root directory, one <c>server.&lt;id&gt;/</c>
/// per member. Processes outlive the supervisor: a new supervisor on the same root adopts them (pid file, live
/// process, its command line names the member's <c>zoo.cfg</c>). Stop them with <see cref="StopAsync"/>.
/// </summary>
public sealed partial class LocalZooKeeperSupervisor
{
    private readonly ZooKeeperInstallation _installation;
    private readonly Dictionary<int, LocalZooKeeperMember> _members = [];
    private readonly Lock _gate = new();

    public LocalZooKeeperSupervisor(string rootDirectory, ZooKeeperInstallation installation)
    {
        RootDirectory = Path.GetFullPath(rootDirectory);
        _installation = installation;
    }

    public string RootDirectory { get; }

    public IReadOnlyList<LocalZooKeeperMember> Members
    {
        get
        {
            lock (_gate)
            {
                return _members.Values.OrderBy(m => m.ServerId).ToArray();
            }
        }
    }

    public LocalZooKeeperMember Member(int serverId)
    {
        lock (_gate)
        {
            return _members.TryGetValue(serverId, out var member) ? member : throw new KeyNotFoundException($"no server.{serverId} under {RootDirectory}");
        }
    }

    /// <summary>
    /// Writes the directory of every member of <paramref name="spec"/> that has none yet (free loopback ports for ports
    /// given as 0) and loads the members that have one from their own files. Returns the members with their ports.
    /// </summary>
    public IReadOnlyList<MemberSpec> Provision(EnsembleSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.EnsureValid();
        lock (_gate)
        {
            System.IO.Directory.CreateDirectory(RootDirectory);
            var password = ExistingPassword() ?? SuperDigest.NewPassword();
            var fresh = spec.Members.Where(m => !File.Exists(ConfigPathOf(m.ServerId))).ToArray();
            var withPorts = AllocatePorts(fresh);
            var loaded = spec.Members.Except(fresh).Select(m => LoadMember(m.ServerId)).ToList();

            // The first configuration: members loaded from disk keep their own files, fresh ones list everybody.
            var membership = loaded.Concat(withPorts).OrderBy(m => m.ServerId).ToArray();
            foreach (var member in withPorts)
            {
                WriteMemberFiles(member, membership, spec.Settings, password);
            }

            foreach (var member in membership)
            {
                if (!_members.ContainsKey(member.ServerId))
                {
                    var dir = DirectoryOf(member.ServerId);
                    _members[member.ServerId] = new LocalZooKeeperMember(dir, member, File.ReadAllText(Path.Combine(dir, "super.password")).Trim(), _installation);
                }
            }

            return membership;
        }
    }

    /// <summary>
    /// Adopts members that still run, then checks that every port of the others is free (a clash throws
    /// <see cref="PortInUseException"/> before anything starts), then starts them and waits until they listen.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var toStart = Members.Where(m => !m.TryAdopt()).ToArray();
        foreach (var member in toStart)
        {
            member.EnsurePortsFree();
        }

        await Task.WhenAll(toStart.Select(m => m.StartAsync(cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Stops every member (graceful: SIGTERM then SIGKILL after the timeout; kill: SIGKILL).</summary>
    public Task StopAsync(StopMode mode, CancellationToken cancellationToken) =>
        Task.WhenAll(Members.Select(m => m.StopAsync(mode, cancellationToken)));

    /// <summary>The super user's password, shared by the members (digest auth <c>super:&lt;password&gt;</c>).</summary>
    public string? SuperPassword => Members.FirstOrDefault()?.SuperPassword;

    private string DirectoryOf(int serverId) => Path.Combine(RootDirectory, "server." + serverId.ToString(CultureInfo.InvariantCulture));

    private string ConfigPathOf(int serverId) => Path.Combine(DirectoryOf(serverId), "zoo.cfg");

    private string? ExistingPassword() =>
        System.IO.Directory.Exists(RootDirectory)
            ? System.IO.Directory.GetDirectories(RootDirectory, "server.*")
                .Select(d => Path.Combine(d, "super.password")).Where(File.Exists).Select(f => File.ReadAllText(f).Trim()).FirstOrDefault()
            : null;

    private static MemberSpec[] AllocatePorts(MemberSpec[] members)
    {
        var needed = members.Sum(m => (m.QuorumPort == 0 ? 1 : 0) + (m.ElectionPort == 0 ? 1 : 0) + (m.ClientPort == 0 ? 1 : 0));
        var free = new Queue<int>(LoopbackPorts.Allocate(members.FirstOrDefault()?.Host ?? "127.0.0.1", needed));
        return members.Select(m => m with
        {
            QuorumPort = m.QuorumPort == 0 ? free.Dequeue() : m.QuorumPort,
            ElectionPort = m.ElectionPort == 0 ? free.Dequeue() : m.ElectionPort,
            ClientPort = m.ClientPort == 0 ? free.Dequeue() : m.ClientPort,
        }).ToArray();
    }

    /// <summary>Reads a member back from its own files: <c>zoo.cfg</c>'s <c>dynamicConfigFile</c>, whatever ZooKeeper renamed it to.</summary>
    private MemberSpec LoadMember(int serverId)
    {
        var config = ConfigPathOf(serverId);
        var dynamicFile = File.ReadAllLines(config)
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("dynamicConfigFile=", StringComparison.Ordinal))
            .Select(l => l["dynamicConfigFile=".Length..])
            .LastOrDefault() ?? throw new InvalidOperationException($"{config} names no dynamicConfigFile; it was not written by this supervisor");
        if (!Path.IsPathRooted(dynamicFile))
        {
            dynamicFile = Path.Combine(DirectoryOf(serverId), dynamicFile);
        }

        var members = DynamicConfigLine.ParseMembers(File.ReadAllLines(dynamicFile));
        return members.FirstOrDefault(m => m.ServerId == serverId)
            ?? throw new InvalidOperationException($"{dynamicFile} does not list server.{serverId}; the member was removed from the ensemble");
    }

    private void WriteMemberFiles(MemberSpec member, IReadOnlyList<MemberSpec> membership, EnsembleSettings settings, string password)
    {
        var dir = DirectoryOf(member.ServerId);
        var data = Path.Combine(dir, "data");
        System.IO.Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "myid"), member.ServerId.ToString(CultureInfo.InvariantCulture) + "\n");

        var passwordFile = Path.Combine(dir, "super.password");
        File.WriteAllText(passwordFile, password + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var dynamicFile = Path.Combine(dir, "zoo.cfg.dynamic");
        File.WriteAllLines(dynamicFile, membership.Select(m => m.ToConfigLine()));

        var cfg = new StringBuilder();
        void Line(string key, object value) => cfg.Append(key).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
        foreach (var (key, value) in ZooKeeperConfigFile.SettingsLines(settings))
        {
            Line(key, value);
        }

        Line("dataDir", data);
        if (_installation.HasAdminServer)
        {
            // The AdminServer answers probes over one kept-alive HTTP connection instead of a TCP connection per word.
            Line(ZooKeeperConfigFile.AdminEnableServerKey, "true");
            Line(ZooKeeperConfigFile.AdminServerAddressKey, member.Host);
            Line(ZooKeeperConfigFile.AdminServerPortKey, LoopbackPorts.Allocate(member.Host, 1)[0]);
        }
        else
        {
            Line(ZooKeeperConfigFile.AdminEnableServerKey, "false"); // Jetty or the servlet API is missing: ZooKeeper would only log that
        }

        Line("reconfigEnabled", "true");
        Line("standaloneEnabled", "false");
        Line("dynamicConfigFile", dynamicFile);
        File.WriteAllText(Path.Combine(dir, "zoo.cfg"), cfg.ToString());

        File.WriteAllText(Path.Combine(dir, "log4j.properties"), """
            log4j.rootLogger=INFO, CONSOLE
            log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
            log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
            log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n

            """);
        File.WriteAllText(Path.Combine(dir, "logback.xml"), """
            <configuration>
              <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n</pattern></encoder>
              </appender>
              <root level="INFO"><appender-ref ref="CONSOLE"/></root>
            </configuration>

            """);
    }
}
