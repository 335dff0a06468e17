using System.Net;
using System.Net.Sockets;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Local;
using QuorumPortal.Engine.Tests.Testing;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Local;

/// <summary>Files, ports and installation checks; nothing here starts a JVM.</summary>
[Trait("Category", "ZooKeeper")]
public sealed class LocalZooKeeperSupervisorTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "qp-zklocal-" + Guid.NewGuid().ToString("N")[..8]);

    // Never runs: every test here fails or succeeds before a process would start.
    private static readonly ZooKeeperInstallation NoJava = new() { JavaPath = "/nonexistent/java", ZooKeeperJar = "/nonexistent/zookeeper.jar", ClassPath = ["/nonexistent/zookeeper.jar"] };

    public void Dispose()
    {
        LocalEnsembleFixture.KillLeftovers(_root);
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void Provision_NewEnsemble_WritesConfigDynamicFileMyidAndPrivatePassword()
    {
        var supervisor = new LocalZooKeeperSupervisor(_root, NoJava);

        var members = supervisor.Provision(EnsembleSpec.OfSize("files", 3, EnsembleSettings.Fast, BackendKind.LocalZooKeeper));

        Assert.Equal(9, members.SelectMany(m => new[] { m.QuorumPort, m.ElectionPort, m.ClientPort }).Distinct().Count(p => p > 0));
        var member = supervisor.Member(2);
        var cfg = File.ReadAllText(member.ConfigPath);
        Assert.Contains("tickTime=200\n", cfg);
        Assert.Contains("4lw.commands.whitelist=srvr,mntr,conf,ruok,cons,stat\n", cfg);
        Assert.Contains("reconfigEnabled=true\n", cfg);
        Assert.Contains("standaloneEnabled=false\n", cfg);
        Assert.Contains("admin.enableServer=false\n", cfg);
        Assert.DoesNotContain("skipACL", cfg);
        Assert.Contains($"dynamicConfigFile={member.Directory}/zoo.cfg.dynamic\n", cfg);
        Assert.Equal(members.Select(m => m.ToConfigLine()), File.ReadAllLines(Path.Combine(member.Directory, "zoo.cfg.dynamic")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(member.DataDirectory, "myid")).Trim());
        var passwordFile = Path.Combine(member.Directory, "super.password");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
        }
        Assert.All(supervisor.Members, m => Assert.Equal(supervisor.SuperPassword, m.SuperPassword));
        Assert.Contains("-Dzookeeper.DigestAuthenticationProvider.superDigest=" + SuperDigest.Of("super", member.SuperPassword), member.JavaCommandLine());
        Assert.Equal(member.ConfigPath, member.JavaCommandLine()[^1]);
    }

    [Fact]
    public void SuperDigest_KnownVector_MatchesZooKeeper()
    {
        Assert.Equal("super:D/InIHSb7yEEbrWz8b9l71RjZJU=", SuperDigest.Of("super", "test"));
    }

    [Fact]
    public async Task StartAsync_ClientPortTaken_ThrowsNamingPortAndMemberAndStartsNothing()
    {
        var supervisor = new LocalZooKeeperSupervisor(_root, NoJava);
        var members = supervisor.Provision(EnsembleSpec.OfSize("clash", 3, EnsembleSettings.Fast, BackendKind.LocalZooKeeper));
        var taken = members[2].ClientPort;
        using var squatter = new TcpListener(IPAddress.Loopback, taken);
        squatter.Start();

        var e = await Assert.ThrowsAsync<PortInUseException>(() => supervisor.StartAsync(CancellationToken.None));

        Assert.Contains($"server.3", e.Message);
        Assert.Contains($"client port {taken}", e.Message);
        Assert.All(supervisor.Members, m => Assert.False(m.IsRunning));
        Assert.Empty(Directory.GetFiles(_root, "zookeeper.pid", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task StartAsync_AdminServerPortTaken_ThrowsNamingItAndStartsNothing()
    {
        // ZooKeeper itself would only log the clash and run on, and the probe would read whatever holds the port.
        var supervisor = new LocalZooKeeperSupervisor(_root, NoJava with { HasAdminServer = true });
        supervisor.Provision(EnsembleSpec.OfSize("adminclash", 3, EnsembleSettings.Fast, BackendKind.LocalZooKeeper));
        var taken = supervisor.Member(2).AdminServer!.Port;
        using var squatter = new TcpListener(IPAddress.Loopback, taken);
        squatter.Start();

        var e = await Assert.ThrowsAsync<PortInUseException>(() => supervisor.StartAsync(CancellationToken.None));

        Assert.Contains("server.2", e.Message);
        Assert.Contains($"admin port {taken}", e.Message);
        Assert.All(supervisor.Members, m => Assert.False(m.IsRunning));
    }

    [Fact]
    public void Locate_BogusZooKeeperHome_SaysWhatIsMissingAndHowToInstall()
    {
        var e = Assert.Throws<ZooKeeperInstallationException>(() => ZooKeeperInstallation.Locate(
            name => name == "ZOOKEEPER_HOME" ? "/nonexistent/zookeeper" : Environment.GetEnvironmentVariable(name)));

        Assert.Contains("ZOOKEEPER_HOME is '/nonexistent/zookeeper'", e.Message);
        Assert.Contains("apt-get install zookeeper", e.Message);
    }

    [Fact]
    public void Locate_NoDebianJarAndNoHome_SaysHowToInstall()
    {
        var e = Assert.Throws<ZooKeeperInstallationException>(() => ZooKeeperInstallation.Locate(
            name => name == "ZOOKEEPER_HOME" ? null : Environment.GetEnvironmentVariable(name), debianJavaDirectory: _root));

        Assert.Contains("zookeeper.jar does not exist", e.Message);
        Assert.Contains("apt-get install zookeeper", e.Message);
    }

    [Fact]
    public void Locate_BogusJavaHome_SaysJavaIsMissing()
    {
        var e = Assert.Throws<ZooKeeperInstallationException>(() => ZooKeeperInstallation.Locate(
            name => name == "JAVA_HOME" ? "/nonexistent/jdk" : Environment.GetEnvironmentVariable(name)));

        Assert.Contains("JAVA_HOME is '/nonexistent/jdk'", e.Message);
    }

    [ZooKeeperFact]
    public void Locate_Debian_UsesZooKeeperJarWithLog4jBinding()
    {
        var installation = ZooKeeperInstallation.Locate(name => name == "ZOOKEEPER_HOME" ? null : Environment.GetEnvironmentVariable(name));

        Assert.Equal("/usr/share/java/zookeeper.jar", installation.ZooKeeperJar);
        Assert.Equal(ZooKeeperLogging.Log4j12, installation.Logging);
        Assert.True(File.Exists(installation.JavaPath), installation.JavaPath);
    }
}
