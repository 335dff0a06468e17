using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace QuorumPortal.Engine.Tests.ZooKeeper;

/// <summary>
/// Test-only launcher for Debian's Apache ZooKeeper 3.8: one <c>QuorumPeerMain</c> process per server on
/// free loopback ports, in a temp folder; Dispose kills every process it started.
/// </summary>
internal sealed class RealZooKeeper : IAsyncDisposable
{
    public const string Jar = "/usr/share/java/zookeeper.jar";

    /// <summary>The digest of super:test, so tests may authenticate as the super user.</summary>
    public const string SuperDigest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=";

    private readonly Process?[] _processes;

    private RealZooKeeper(string directory, int[] clientPorts, int[] quorumPorts, int[] electionPorts)
    {
        Directory = directory;
        ClientPorts = clientPorts;
        QuorumPorts = quorumPorts;
        ElectionPorts = electionPorts;
        _processes = new Process?[clientPorts.Length];
    }

    public static bool IsAvailable => File.Exists(Jar) && File.Exists("/usr/bin/java");

    /// <summary>Why tests are skipped, or null when they must run (always on CI).</summary>
    public static string? SkipReason =>
        IsAvailable || Environment.GetEnvironmentVariable("CI") == "true"
            ? null
            : $"Apache ZooKeeper is not installed ({Jar} or /usr/bin/java missing); apt-get install zookeeper";

    public string Directory { get; }

    public int[] ClientPorts { get; }

    public int[] QuorumPorts { get; }

    public int[] ElectionPorts { get; }

    public int Count => ClientPorts.Length;

    public string ConnectionString => string.Join(',', ClientPorts.Select(p => $"127.0.0.1:{p}"));

    public string LogPath(int index) => Path.Combine(Directory, $"server.{index + 1}", "server.log");

    /// <summary>Ports and log paths, for failure messages.</summary>
    public string Describe() =>
        $"ZooKeeper in {Directory}: " + string.Join("; ", Enumerable.Range(0, Count).Select(i =>
            $"server.{i + 1} client {ClientPorts[i]} quorum {QuorumPorts[i]} election {ElectionPorts[i]} log {LogPath(i)}"));

    /// <summary>Starts <paramref name="servers"/> servers (1 = standalone) and waits until they serve (one leader for 3).</summary>
    public static async Task<RealZooKeeper> StartAsync(int servers, CancellationToken cancellationToken = default)
    {
        var ports = FreePorts(servers * 3);
        var directory = Path.Combine(Path.GetTempPath(), $"qp-zkclient-tests-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        var zk = new RealZooKeeper(directory, ports[..servers], ports[servers..(2 * servers)], ports[(2 * servers)..]);
        try
        {
            for (var i = 0; i < servers; i++)
            {
                zk.WriteConfig(i);
                zk.Start(i);
            }

            await zk.WaitServingAsync(cancellationToken);
            return zk;
        }
        catch (Exception e)
        {
            var description = zk.Describe();
            await zk.DisposeAsync();
            throw new InvalidOperationException($"ZooKeeper did not start: {e.Message}. {description}", e);
        }
    }

    public void Start(int index)
    {
        var dir = Path.Combine(Directory, $"server.{index + 1}");
        var classPath = Jar + (File.Exists("/usr/share/java/slf4j-simple.jar") ? ":/usr/share/java/slf4j-simple.jar" : string.Empty);
        var command = $"exec java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dzookeeper.DigestAuthenticationProvider.superDigest={SuperDigest} " +
                      $"-cp {classPath} org.apache.zookeeper.server.quorum.QuorumPeerMain {Path.Combine(dir, "zoo.cfg")} >> {LogPath(index)} 2>&1";
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = dir };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        _processes[index] = Process.Start(info) ?? throw new InvalidOperationException("java did not start");
    }

    /// <summary>Kills a server's process (SIGKILL) and waits for it to be gone.</summary>
    public void Kill(int index)
    {
        var process = _processes[index];
        _processes[index] = null;
        if (process is null)
        {
            return;
        }

        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        process.Dispose();
    }

    public int IndexOfPort(int clientPort) => Array.IndexOf(ClientPorts, clientPort);

    /// <summary>Waits until every running server answers <c>ruok</c> and, in an ensemble, exactly one leads.</summary>
    public async Task WaitServingAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        string last = string.Empty;
        while (true)
        {
            var running = Enumerable.Range(0, Count).Where(i => _processes[i] is { HasExited: false }).ToList();
            var exited = Enumerable.Range(0, Count).Where(i => _processes[i] is { HasExited: true }).ToList();
            if (exited.Count > 0)
            {
                throw new InvalidOperationException($"server.{exited[0] + 1} exited: {Tail(LogPath(exited[0]))}");
            }

            var modes = new List<string>();
            foreach (var i in running)
            {
                var ok = await FourLetterWordAsync(ClientPorts[i], "ruok", timeout.Token) == "imok";
                var srvr = ok ? await FourLetterWordAsync(ClientPorts[i], "srvr", timeout.Token) : string.Empty;
                modes.Add(srvr.Split('\n').FirstOrDefault(l => l.StartsWith("Mode: ", StringComparison.Ordinal))?[6..].Trim() ?? "down");
            }

            last = string.Join(",", modes);
            var serving = Count == 1
                ? modes is ["standalone"]
                : modes.Count(m => m == "leader") == 1 && modes.All(m => m is "leader" or "follower");
            if (serving)
            {
                return;
            }

            try
            {
                // Polling a condition, not sleeping for it: the loop exits as soon as the servers serve.
                await Task.Delay(50, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"servers not serving after 60 s (modes: {last}). {Describe()}");
            }
        }
    }

    /// <summary>Sends a four-letter word and reads the answer to EOF; empty when the server is unreachable.</summary>
    public static async Task<string> FourLetterWordAsync(int port, string word, CancellationToken cancellationToken = default)
    {
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(5));
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, attempt.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(word), attempt.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadToEndAsync(attempt.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return string.Empty;
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < Count; i++)
        {
            Kill(i);
        }

        await Task.Yield();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void WriteConfig(int index)
    {
        var dir = Path.Combine(Directory, $"server.{index + 1}");
        var data = Path.Combine(dir, "data");
        System.IO.Directory.CreateDirectory(data);
        var lines = new List<string>
        {
            "tickTime=200",
            "initLimit=10",
            "syncLimit=5",
            $"dataDir={data}",
            $"clientPort={ClientPorts[index]}",
            "clientPortAddress=127.0.0.1",
            "admin.enableServer=false",
            "4lw.commands.whitelist=*",
        };
        if (Count > 1)
        {
            lines.Add("standaloneEnabled=false");
            lines.Add("reconfigEnabled=true");
            lines.AddRange(Enumerable.Range(0, Count).Select(i =>
                $"server.{i + 1}=127.0.0.1:{QuorumPorts[i]}:{ElectionPorts[i]};127.0.0.1:{ClientPorts[i]}"));
            File.WriteAllText(Path.Combine(data, "myid"), $"{index + 1}\n");
        }

        File.WriteAllText(Path.Combine(dir, "zoo.cfg"), string.Join('\n', lines) + "\n");
    }

    private static int[] FreePorts(int count) => Engine.ZooKeeper.Local.LoopbackPorts.Allocate("127.0.0.1", count);

    private static string Tail(string path) =>
        File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(20)) : "(no log)";
}
