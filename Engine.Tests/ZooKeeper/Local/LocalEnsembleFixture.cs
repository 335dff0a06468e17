using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.ZooKeeper.Local;
using QuorumPortal.Engine.ZooKeeper.Probes;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Local;

/// <summary>
/// A real ensemble of three participants and one observer on free loopback ports, tickTime 200, under a temp root.
/// Everything it started is killed on dispose.
/// </summary>
public sealed class LocalEnsembleFixture : IAsyncLifetime
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ZooKeeperProbe _probe = new(new FourLetterWordClient { Timeout = TimeSpan.FromMilliseconds(800) }, TimeProvider.System);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "qp-zklocal-" + Guid.NewGuid().ToString("N")[..8]);

    public EnsembleSpec Spec { get; } = new()
    {
        Name = "zklocal",
        Backend = BackendKind.LocalZooKeeper,
        Members =
        [
            new MemberSpec { ServerId = 1 },
            new MemberSpec { ServerId = 2 },
            new MemberSpec { ServerId = 3 },
            new MemberSpec { ServerId = 4, Role = MemberRole.Observer },
        ],
        Settings = EnsembleSettings.Fast,
    };

    public LocalZooKeeperSupervisor Supervisor { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!ZooKeeperInstallation.TryLocate(out var installation, out _))
        {
            return; // the tests skip (or, under CI, fail on their own Locate)
        }

        Supervisor = new LocalZooKeeperSupervisor(Root, installation!);
        Supervisor.Provision(Spec);
        await Supervisor.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (Supervisor is not null)
        {
            await Supervisor.StopAsync(StopMode.Kill, CancellationToken.None);
        }

        KillLeftovers(Root);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Kills any process whose pid file is under <paramref name="root"/> and whose command line names that root.</summary>
    public static void KillLeftovers(string root)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var pidFile in Directory.GetFiles(root, "zookeeper.pid", SearchOption.AllDirectories))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)
                && File.Exists($"/proc/{pid}/cmdline")
                && File.ReadAllText($"/proc/{pid}/cmdline").Contains(root, StringComparison.Ordinal))
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                }
            }
        }
    }

    public Task<MemberStatus> ProbeAsync(int serverId) => _probe.ProbeAsync(Supervisor.Member(serverId).Spec, CancellationToken.None);

    public async Task<IReadOnlyDictionary<int, MemberStatus>> ProbeAllAsync()
    {
        var statuses = await Task.WhenAll(Supervisor.Members.Select(m => _probe.ProbeAsync(m.Spec, CancellationToken.None)));
        return statuses.ToDictionary(s => s.ServerId);
    }

    /// <summary>Probes every member until <paramref name="condition"/> holds; fails with the statuses and log paths.</summary>
    public async Task<IReadOnlyDictionary<int, MemberStatus>> ProbeUntilAsync(
        Func<IReadOnlyDictionary<int, MemberStatus>, bool> condition, string what)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var statuses = await ProbeAllAsync();
            if (condition(statuses))
            {
                return statuses;
            }

            if (started.Elapsed > Patience)
            {
                Assert.Fail($"Not {what} after {Patience}: " + string.Join("; ", statuses.Values.Select(s =>
                    $"server.{s.ServerId} {s.State} zxid {Zxid.ToHex(s.LastZxid)} {s.Error} (log {Supervisor.Member(s.ServerId).LogPath})")));
            }

            await Task.Delay(100);
        }
    }

    public static int? LeaderOf(IReadOnlyDictionary<int, MemberStatus> statuses) =>
        statuses.Values.Where(s => s.State == PeerState.Leading).Select(s => (int?)s.ServerId).SingleOrDefault();

    /// <summary>Every member running (restarting any a test stopped) and the ensemble serving with one leader.</summary>
    public async Task<IReadOnlyDictionary<int, MemberStatus>> HealthyAsync()
    {
        foreach (var member in Supervisor.Members.Where(m => m.IsPaused))
        {
            member.Resume();
        }

        await Supervisor.StartAsync(CancellationToken.None);
        return await ProbeUntilAsync(Healthy, "one leader, two followers and an observer");
    }

    public static bool Healthy(IReadOnlyDictionary<int, MemberStatus> s) =>
        s.Values.Count(x => x.State == PeerState.Leading) == 1
        && s.Values.Count(x => x.State == PeerState.Following) == 2
        && s[4].State == PeerState.Observing;
}
