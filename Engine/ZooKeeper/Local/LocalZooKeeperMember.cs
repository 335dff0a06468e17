using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.ZooKeeper.Local;

/// <summary>A port a member needs is taken; nothing was started.</summary>
public sealed class PortInUseException(int serverId, string kind, string host, int port)
    : InvalidOperationException(
        $"server.{serverId} cannot start: its {kind} port {port} on {host} is already in use by another process; nothing was started and server.{serverId} stays stopped. " +
        "Stop the process that holds the port and start the member again; a joiner can instead be decommissioned and provisioned again with port 0 for a free one.")
{
    public int ServerId { get; } = serverId;

    public int Port { get; } = port;
}

/// <summary>
/// One local <c>QuorumPeerMain</c> process and its directory <c>&lt;root&gt;/server.&lt;id&gt;/</c>: <c>zoo.cfg</c>,
/// <c>zoo.cfg.dynamic</c>, <c>data/myid</c>, <c>super.password</c>, <c>zookeeper.log</c> (stdout, stderr and the
/// server's own log) and <c>zookeeper.pid</c>. The files are written once; after the first start ZooKeeper rewrites
/// <c>zoo.cfg</c> and moves the membership to <c>zoo.cfg.dynamic.&lt;version&gt;</c>, and from then on they are the truth.
/// </summary>
public sealed class LocalZooKeeperMember
{
    private readonly ZooKeeperInstallation _installation;
    private readonly Lock _gate = new();
    private Process? _process;
    private int? _pid;
    private bool _paused;

    internal LocalZooKeeperMember(string directory, MemberSpec spec, string superPassword, ZooKeeperInstallation installation)
    {
        Directory = directory;
        Spec = spec;
        SuperPassword = superPassword;
        _installation = installation;
        AdminServer = ReadAdminServer();
    }

    public MemberSpec Spec { get; }

    public int ServerId => Spec.ServerId;

    public string Directory { get; }

    public string ConfigPath => Path.Combine(Directory, "zoo.cfg");

    public string LogPath => Path.Combine(Directory, "zookeeper.log");

    public string PidPath => Path.Combine(Directory, "zookeeper.pid");

    public string DataDirectory => Path.Combine(Directory, "data");

    /// <summary>
    /// The AdminServer's commands URL (<c>http://host:port/commands/</c>) when <c>zoo.cfg</c> enables it, else null
    /// (the installation lacks Jetty or the servlet API, or the member was provisioned before the portal enabled it).
    /// </summary>
    public Uri? AdminServer { get; }

    /// <summary>The super user's password (<c>super:&lt;password&gt;</c> digest auth), kept in <c>super.password</c>.</summary>
    public string SuperPassword { get; }

    /// <summary>How long a graceful stop waits for the process to exit before it is killed. Default 10 s.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a start waits for the client port to listen. Default 60 s (a JVM on a busy machine is slow).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The process id while this member runs (started or adopted).</summary>
    public int? ProcessId
    {
        get
        {
            lock (_gate)
            {
                return _pid is int pid && Posix.IsAlive(pid) ? pid : null;
            }
        }
    }

    public bool IsRunning => ProcessId is not null;

    /// <summary>True between <see cref="Pause"/> and <see cref="Resume"/>.</summary>
    public bool IsPaused => IsRunning && _paused;

    /// <summary>Whether this process was found running by a new supervisor rather than started by it.</summary>
    public bool WasAdopted { get; private set; }

    /// <summary>Adopts the process named in <c>zookeeper.pid</c> if it is alive and runs this member's <c>zoo.cfg</c>.</summary>
    public bool TryAdopt()
    {
        lock (_gate)
        {
            if (_pid is int current && Posix.IsAlive(current))
            {
                return true;
            }

            if (!File.Exists(PidPath)
                || !int.TryParse(File.ReadAllText(PidPath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || !RunsThisMember(pid))
            {
                return false;
            }

            _pid = pid;
            _paused = Posix.ProcessState(pid) == 'T';
            WasAdopted = true;
            return true;
        }
    }

    /// <summary>The ports this member listens on, with their names.</summary>
    public IEnumerable<(string Kind, int Port)> Ports()
    {
        yield return ("client", Spec.ClientPort);
        yield return ("quorum", Spec.QuorumPort);
        yield return ("election", Spec.ElectionPort);
        if (AdminServer is { } admin)
        {
            // Taken, ZooKeeper would only log it and run on; the probe would then read whatever holds the port.
            yield return ("admin", admin.Port);
        }
    }

    /// <summary>Throws <see cref="PortInUseException"/> naming the first port of this member that is taken.</summary>
    public void EnsurePortsFree()
    {
        foreach (var (kind, port) in Ports())
        {
            if (!LoopbackPorts.IsFree(Spec.Host, port))
            {
                throw new PortInUseException(ServerId, kind, Spec.Host, port);
            }
        }
    }

    /// <summary>
    /// Starts the process unless it runs (or can be adopted), then waits until its client port accepts connections.
    /// </summary>
    /// <exception cref="PortInUseException">a port is taken.</exception>
    /// <exception cref="InvalidOperationException">the process exited during start; the message quotes its log.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (TryAdopt())
        {
            return;
        }

        EnsurePortsFree();
        Process process;
        lock (_gate)
        {
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            // exec: the shell becomes java, so the pid is java's and the log file is its stdout without a pipe through us,
            // which keeps the member logging after the supervisor's process is gone.
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("log=\"$1\"; shift; exec \"$@\" >>\"$log\" 2>&1 </dev/null");
            start.ArgumentList.Add("zookeeper-member");
            start.ArgumentList.Add(LogPath);
            foreach (var argument in JavaCommandLine())
            {
                start.ArgumentList.Add(argument);
            }

            process = Process.Start(start) ?? throw new InvalidOperationException($"server.{ServerId}: could not start {_installation.JavaPath}");
            _process?.Dispose();
            _process = process;
            _pid = process.Id;
            _paused = false;
            WasAdopted = false;
            File.WriteAllText(PidPath, process.Id.ToString(CultureInfo.InvariantCulture) + "\n");
        }

        await WaitUntilListeningAsync(process, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The java command this member runs.</summary>
    public IReadOnlyList<string> JavaCommandLine()
    {
        var args = new List<string>
        {
            _installation.JavaPath,
            "-Xmx128m",
            "-XX:+UseSerialGC",
            "-Dzookeeper.DigestAuthenticationProvider.superDigest=" + SuperDigest.Of("super", SuperPassword),
            "-Dzookeeper.jmx.log4j.disable=true",
        };
        switch (_installation.Logging)
        {
            case ZooKeeperLogging.Log4j12:
                args.Add("-Dlog4j.configuration=file:" + Path.Combine(Directory, "log4j.properties"));
                break;
            case ZooKeeperLogging.Logback:
                args.Add("-Dlogback.configurationFile=" + Path.Combine(Directory, "logback.xml"));
                break;
        }

        args.AddRange(["-cp", string.Join(':', _installation.ClassPath), "org.apache.zookeeper.server.quorum.QuorumPeerMain", ConfigPath]);
        return args;
    }

    /// <summary>Stops the process: SIGTERM then, after <see cref="StopTimeout"/>, SIGKILL; or SIGKILL at once.</summary>
    public async Task StopAsync(StopMode mode, CancellationToken cancellationToken)
    {
        int pid;
        lock (_gate)
        {
            if (_pid is not int known || !RunsThisMember(known))
            {
                Forget();
                return;
            }

            pid = known;
            if (mode == StopMode.Graceful)
            {
                Posix.Signal(pid, Posix.SigTerm);
                Posix.Signal(pid, Posix.SigCont); // a paused JVM handles SIGTERM only once it runs again
            }
            else
            {
                Posix.Signal(pid, Posix.SigKill);
            }
        }

        if (!await WaitForExitAsync(pid, mode == StopMode.Graceful ? StopTimeout : TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false))
        {
            Posix.Signal(pid, Posix.SigKill);
            if (!await WaitForExitAsync(pid, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"server.{ServerId} (pid {pid}) did not exit after SIGKILL");
            }
        }

        lock (_gate)
        {
            Forget();
        }
    }

    /// <summary>Freezes the process (SIGSTOP): it keeps its sockets but answers nothing, like a long GC pause.</summary>
    public void Pause() => SignalRunning(Posix.SigStop, paused: true);

    /// <summary>Lets a paused process run again (SIGCONT).</summary>
    public void Resume() => SignalRunning(Posix.SigCont, paused: false);

    /// <summary>The last lines of <c>zookeeper.log</c>, for error messages.</summary>
    public string LogTail(int lines = 20)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    private void SignalRunning(int signal, bool paused)
    {
        lock (_gate)
        {
            if (_pid is not int pid || !RunsThisMember(pid))
            {
                throw new InvalidOperationException($"server.{ServerId} is not running");
            }

            Posix.Signal(pid, signal);
            _paused = paused;
        }
    }

    private void Forget()
    {
        _pid = null;
        _paused = false;
        _process?.Dispose();
        _process = null;
        File.Delete(PidPath);
    }

    // admin.* as written at provisioning; ZooKeeper keeps them when it rewrites zoo.cfg.
    private Uri? ReadAdminServer()
    {
        if (!File.Exists(ConfigPath))
        {
            return null;
        }

        var config = ZooKeeperConfigFile.Read(ConfigPath);
        config.TryGetValue(ZooKeeperConfigFile.AdminEnableServerKey, out var enabled);
        config.TryGetValue(ZooKeeperConfigFile.AdminServerAddressKey, out var address);
        config.TryGetValue(ZooKeeperConfigFile.AdminServerPortKey, out var port);
        return enabled == "true" && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535
            ? AdminServerClient.CommandsUrl(address is null or "0.0.0.0" ? Spec.Host : address, p)
            : null;
    }

    // Guards every signal: a recycled pid must never be hit.
    private bool RunsThisMember(int pid) => Posix.IsAlive(pid) && Posix.CommandLine(pid).Contains(ConfigPath);

    private async Task WaitUntilListeningAsync(Process process, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"server.{ServerId} exited with code {process.ExitCode} while starting; log {LogPath}:\n{LogTail()}");
            }

            try
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(Spec.Host, Spec.ClientPort, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < StartTimeout)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new InvalidOperationException(
                    $"server.{ServerId} (pid {process.Id}) did not listen on client port {Spec.ClientPort} within {StartTimeout}: {e.SocketErrorCode}; log {LogPath}:\n{LogTail()}");
            }
        }
    }

    private static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (Posix.IsAlive(pid))
        {
            if (deadline.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }
}
