using System.Text.RegularExpressions;

namespace QuorumPortal.Engine.ZooKeeper.Local;

/// <summary>How the server's own log reaches the member's <c>zookeeper.log</c>.</summary>
public enum ZooKeeperLogging
{
    /// <summary>No SLF4J binding found: the server logs nothing (stdout/stderr are still captured).</summary>
    None,

    /// <summary>log4j 1.2 through slf4j-log4j12 (Debian's packages): a <c>log4j.properties</c> in the member directory.</summary>
    Log4j12,

    /// <summary>Logback (the Apache binary release): a <c>logback.xml</c> in the member directory.</summary>
    Logback,
}

/// <summary>Java or ZooKeeper is missing; the message says what and how to install it.</summary>
public sealed class ZooKeeperInstallationException(string message) : InvalidOperationException(message);

/// <summary>Where Java and ZooKeeper are, and the class path a <c>QuorumPeerMain</c> needs.</summary>
public sealed partial record ZooKeeperInstallation
{
    /// <summary>Debian's jar directory; <c>zookeeper.jar</c>'s manifest lists its dependencies there.</summary>
    public const string DebianJavaDirectory = "/usr/share/java";

    private const string InstallHint = "install Debian's package (sudo apt-get install zookeeper, which brings OpenJDK 17 and " +
        "/usr/share/java/zookeeper.jar) or set ZOOKEEPER_HOME to an Apache ZooKeeper 3.8 directory";

    /// <summary>The <c>java</c> executable.</summary>
    public required string JavaPath { get; init; }

    /// <summary>The ZooKeeper server jar.</summary>
    public required string ZooKeeperJar { get; init; }

    /// <summary>Class path entries, in order.</summary>
    public required IReadOnlyList<string> ClassPath { get; init; }

    public ZooKeeperLogging Logging { get; init; }

    /// <summary>
    /// Whether the class path can start ZooKeeper's AdminServer: Jetty and the servlet API. Debian's
    /// <c>zookeeper.jar</c> lists the Jetty jars in its manifest but not the servlet API, which
    /// <c>libservlet-api-java</c> (a dependency of <c>libjetty9-java</c>) installs as <c>servlet-api.jar</c>.
    /// </summary>
    public bool HasAdminServer { get; init; }

    /// <summary>
    /// Finds Java (<c>JAVA_HOME</c>, else <c>java</c> on <c>PATH</c>) and ZooKeeper (<c>ZOOKEEPER_HOME</c>, else Debian's
    /// <c>/usr/share/java/zookeeper.jar</c>). <paramref name="environment"/> replaces the process environment (for tests).
    /// </summary>
    /// <exception cref="ZooKeeperInstallationException">Java or ZooKeeper is missing.</exception>
    public static ZooKeeperInstallation Locate(Func<string, string?>? environment = null, string debianJavaDirectory = DebianJavaDirectory)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var zooKeeperHome = environment("ZOOKEEPER_HOME");
        var found = string.IsNullOrEmpty(zooKeeperHome)
            ? FromDebian(debianJavaDirectory)
            : FromHome(zooKeeperHome);
        return found with { JavaPath = FindJava(environment) };
    }

    /// <summary>True when <see cref="Locate"/> would succeed.</summary>
    public static bool TryLocate(out ZooKeeperInstallation? installation, out string? problem, Func<string, string?>? environment = null)
    {
        try
        {
            installation = Locate(environment);
            problem = null;
            return true;
        }
        catch (ZooKeeperInstallationException e)
        {
            installation = null;
            problem = e.Message;
            return false;
        }
    }

    private static string FindJava(Func<string, string?> environment)
    {
        var javaHome = environment("JAVA_HOME");
        if (!string.IsNullOrEmpty(javaHome))
        {
            var java = Path.Combine(javaHome, "bin", "java");
            return File.Exists(java)
                ? java
                : throw new ZooKeeperInstallationException($"JAVA_HOME is '{javaHome}' but {java} does not exist; point JAVA_HOME at a JDK/JRE 11+ or unset it to use java from PATH");
        }

        foreach (var dir in (environment("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var java = Path.Combine(dir, "java");
            if (File.Exists(java))
            {
                return java;
            }
        }

        throw new ZooKeeperInstallationException($"Java was not found: JAVA_HOME is not set and there is no java on PATH; {InstallHint}");
    }

    // Jetty's jars as zookeeper.jar's manifest names them (libjetty9-java); the servlet API is not among them.
    private static readonly string[] DebianAdminServerJars =
        ["jetty9-server.jar", "jetty9-servlet.jar", "jetty9-security.jar", "jetty9-http.jar", "jetty9-io.jar", "jetty9-util.jar"];

    private static ZooKeeperInstallation FromDebian(string dir)
    {
        var jar = Path.Combine(dir, "zookeeper.jar");
        if (!File.Exists(jar))
        {
            throw new ZooKeeperInstallationException($"ZooKeeper was not found: ZOOKEEPER_HOME is not set and {jar} does not exist; {InstallHint}");
        }

        // The jar's manifest Class-Path names its dependencies, but no SLF4J binding and no servlet API: add log4j 1.2
        // so the server logs, and the servlet API so Jetty (and with it the AdminServer) can start. Without it
        // ZooKeeper logs "Unable to load jetty" and runs without an AdminServer.
        var classPath = new List<string> { jar };
        var servletApi = Path.Combine(dir, "servlet-api.jar");
        var hasAdminServer = File.Exists(servletApi) && DebianAdminServerJars.All(j => File.Exists(Path.Combine(dir, j)));
        if (hasAdminServer)
        {
            classPath.Add(servletApi);
        }

        var binding = Path.Combine(dir, "slf4j-log4j12.jar");
        var log4j = Path.Combine(dir, "log4j-1.2.jar");
        var logging = File.Exists(binding) && File.Exists(log4j) ? ZooKeeperLogging.Log4j12 : ZooKeeperLogging.None;
        if (logging == ZooKeeperLogging.Log4j12)
        {
            classPath.AddRange([binding, log4j]);
        }

        return new ZooKeeperInstallation { JavaPath = "", ZooKeeperJar = jar, ClassPath = classPath, Logging = logging, HasAdminServer = hasAdminServer };
    }

    private static ZooKeeperInstallation FromHome(string home)
    {
        var dirs = new[] { home, Path.Combine(home, "lib") }.Where(Directory.Exists).ToArray();
        var jars = dirs.SelectMany(d => Directory.GetFiles(d, "*.jar")).Order(StringComparer.Ordinal).ToArray();
        var jar = jars.FirstOrDefault(j => ServerJarName().IsMatch(Path.GetFileName(j)))
            ?? throw new ZooKeeperInstallationException(
                $"ZOOKEEPER_HOME is '{home}' but neither it nor {Path.Combine(home, "lib")} holds zookeeper-<version>.jar; " +
                $"point ZOOKEEPER_HOME at an Apache ZooKeeper 3.8 binary release, or unset it and {InstallHint}");
        var names = jars.Select(Path.GetFileName).ToArray();
        var logging = names.Any(n => n!.StartsWith("logback-classic", StringComparison.Ordinal)) ? ZooKeeperLogging.Logback
            : names.Any(n => n!.StartsWith("slf4j-log4j12", StringComparison.Ordinal)) ? ZooKeeperLogging.Log4j12
            : ZooKeeperLogging.None;
        var hasAdminServer = names.Any(n => n!.StartsWith("jetty-server", StringComparison.Ordinal))
            && names.Any(n => n!.Contains("servlet-api", StringComparison.Ordinal));
        return new ZooKeeperInstallation { JavaPath = "", ZooKeeperJar = jar, ClassPath = jars, Logging = logging, HasAdminServer = hasAdminServer };
    }

    [GeneratedRegex(@"^zookeeper(-\d+\.\d+\.\d+(\.\d+)?)?\.jar$")]
    private static partial Regex ServerJarName();
}
