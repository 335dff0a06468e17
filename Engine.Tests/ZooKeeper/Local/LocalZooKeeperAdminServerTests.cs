using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Tests.Testing;
using QuorumPortal.Engine.ZooKeeper.Local;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Local;

/// <summary>The AdminServer on or off, by what the installation has.</summary>
[Trait("Category", "ZooKeeper")]
public sealed class LocalZooKeeperAdminServerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "qp-zkadmin-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        LocalEnsembleFixture.KillLeftovers(_root);
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void Locate_DebianWithServletApi_PutsItOnTheClassPathAndEnablesTheAdminServer()
    {
        var installation = ZooKeeperInstallation.Locate(FakeJava(), FakeDebian(withServletApi: true));

        Assert.True(installation.HasAdminServer);
        Assert.Contains(Path.Combine(_root, "java", "servlet-api.jar"), installation.ClassPath);
        Assert.Equal(Path.Combine(_root, "java", "zookeeper.jar"), installation.ClassPath[0]);
    }

    [Fact]
    public void Locate_DebianWithoutServletApi_LeavesTheAdminServerOff()
    {
        var installation = ZooKeeperInstallation.Locate(FakeJava(), FakeDebian(withServletApi: false));

        Assert.False(installation.HasAdminServer);
        Assert.DoesNotContain(installation.ClassPath, p => p.EndsWith("servlet-api.jar", StringComparison.Ordinal));
        Assert.Equal(ZooKeeperLogging.Log4j12, installation.Logging);
    }

    [Fact]
    public void Provision_InstallationWithAdminServer_ServesItOnALoopbackPortOfItsOwn()
    {
        var installation = new ZooKeeperInstallation { JavaPath = "/nonexistent/java", ZooKeeperJar = "/nonexistent/zookeeper.jar", ClassPath = [], HasAdminServer = true };
        var supervisor = new LocalZooKeeperSupervisor(_root, installation);

        var members = supervisor.Provision(EnsembleSpec.OfSize("admin", 3, EnsembleSettings.Fast, BackendKind.LocalZooKeeper));

        var adminPorts = supervisor.Members.Select(m => m.AdminServer!.Port).ToArray();
        Assert.Equal(3, adminPorts.Distinct().Count());
        Assert.Empty(adminPorts.Intersect(members.SelectMany(m => new[] { m.ClientPort, m.QuorumPort, m.ElectionPort })));
        var member = supervisor.Member(2);
        var cfg = File.ReadAllText(member.ConfigPath);
        Assert.Contains("admin.enableServer=true\n", cfg);
        Assert.Contains("admin.serverAddress=127.0.0.1\n", cfg);
        Assert.Contains($"admin.serverPort={member.AdminServer!.Port}\n", cfg);
        Assert.Equal(new Uri($"http://127.0.0.1:{member.AdminServer.Port}/commands/"), member.AdminServer);
    }

    [ZooKeeperFact]
    public async Task Start_ServletApiMissing_MemberServesWithoutAdminServer()
    {
        // Debian's jars without libservlet-api-java's: ZooKeeper cannot load Jetty.
        var debian = Path.Combine(_root, "java");
        Directory.CreateDirectory(debian);
        foreach (var jar in new[] { "zookeeper.jar", "slf4j-log4j12.jar", "log4j-1.2.jar" })
        {
            File.CreateSymbolicLink(Path.Combine(debian, jar), Path.Combine(ZooKeeperInstallation.DebianJavaDirectory, jar));
        }

        var installation = ZooKeeperInstallation.Locate(name => name == "ZOOKEEPER_HOME" ? null : Environment.GetEnvironmentVariable(name), debian);
        var supervisor = new LocalZooKeeperSupervisor(Path.Combine(_root, "ensemble"), installation);
        supervisor.Provision(EnsembleSpec.OfSize("noadmin", 1, EnsembleSettings.Fast, BackendKind.LocalZooKeeper));
        try
        {
            await supervisor.StartAsync(CancellationToken.None);
            var member = supervisor.Member(1);
            var probe = new ZooKeeperProbe();
            var status = await probe.ProbeAsync(member.Spec, CancellationToken.None);
            for (var started = System.Diagnostics.Stopwatch.StartNew(); status.State != PeerState.Leading && started.Elapsed < LocalEnsembleFixture.Patience;)
            {
                await Task.Delay(100); // polling the member until it leads, bounded by Patience
                status = await probe.ProbeAsync(member.Spec, CancellationToken.None);
            }

            Assert.False(installation.HasAdminServer);
            Assert.Null(member.AdminServer);
            Assert.Contains("admin.enableServer=false", File.ReadAllText(member.ConfigPath));
            Assert.True(status.State == PeerState.Leading, $"{status.State} {status.Error}; log {member.LogPath}:\n{member.LogTail()}");
        }
        finally
        {
            await supervisor.StopAsync(StopMode.Kill, CancellationToken.None);
        }
    }

    private Func<string, string?> FakeJava()
    {
        var javaHome = Path.Combine(_root, "jdk");
        Directory.CreateDirectory(Path.Combine(javaHome, "bin"));
        File.WriteAllText(Path.Combine(javaHome, "bin", "java"), "");
        return name => name switch { "JAVA_HOME" => javaHome, "ZOOKEEPER_HOME" => null, _ => Environment.GetEnvironmentVariable(name) };
    }

    // Empty files named as Debian's packages name them: Locate only looks at which exist.
    private string FakeDebian(bool withServletApi)
    {
        var dir = Path.Combine(_root, "java");
        Directory.CreateDirectory(dir);
        var jars = new List<string> { "zookeeper.jar", "slf4j-log4j12.jar", "log4j-1.2.jar", "jetty9-server.jar", "jetty9-servlet.jar",
            "jetty9-security.jar", "jetty9-http.jar", "jetty9-io.jar", "jetty9-util.jar" };
        if (withServletApi)
        {
            jars.Add("servlet-api.jar");
        }

        foreach (var jar in jars)
        {
            File.WriteAllText(Path.Combine(dir, jar), "");
        }

        return dir;
    }
}
