namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary>Four-letter-word answers captured from a real 3.8.0 ensemble (3 participants + 1 observer, tickTime 200).</summary>
internal static class ProbeData
{
    public static string Read(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ZooKeeper", "Probes", "Data", name));
}
