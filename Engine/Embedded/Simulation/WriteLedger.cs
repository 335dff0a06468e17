using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded.Data;

namespace QuorumPortal.Engine.Embedded.Simulation;

/// <summary>
/// Every write a client was told succeeded, with the version it was told; checked against the final
/// tree: an acknowledged write must be there, or be overwritten by a later write of the same key.
/// </summary>
internal sealed class WriteLedger
{
    private readonly Dictionary<string, (byte[] Data, int Version)> _acked = [];
    private readonly List<string> _violations = [];

    public long AckedWrites { get; private set; }

    public long UnknownOutcomes { get; private set; }

    public long Refused { get; private set; }

    public IReadOnlyList<string> Violations => _violations;

    public void Acked(string path, byte[] data, int version)
    {
        AckedWrites++;
        if (!_acked.TryGetValue(path, out var known) || known.Version <= version)
        {
            _acked[path] = (data, version);
        }
    }

    public void Unknown(string path) => UnknownOutcomes++;

    public void NotApplied(string path, CoordinationError error) => Refused++;

    public void Violation(string text)
    {
        if (_violations.Count < 50)
        {
            _violations.Add(text);
        }
    }

    /// <summary>A read on the session that wrote: it must show at least the acknowledged version.</summary>
    public void CheckRead(string path, NodeData data, int client)
    {
        if (_acked.TryGetValue(path, out var known) && data.Stat.Version < known.Version)
        {
            Violation($"client {client} read version {data.Stat.Version} of {path} after version {known.Version} was acknowledged to it");
        }
    }

    /// <summary>Checks every acknowledged write against <paramref name="tree"/>; returns how many were lost.</summary>
    public int Verify(DataTree tree, string where)
    {
        var lost = 0;
        foreach (var (path, (data, version)) in _acked)
        {
            var found = tree.GetData(path);
            if (found is null)
            {
                lost++;
                Violation($"acknowledged write lost: {path} (version {version}) is missing on {where}");
            }
            else if (found.Stat.Version < version || found.Stat.Version == version && !found.Data.AsSpan().SequenceEqual(data))
            {
                lost++;
                Violation($"acknowledged write lost: {path} is at version {found.Stat.Version} on {where}, version {version} was acknowledged");
            }
        }

        return lost;
    }
}
