using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;

namespace QuorumPortal.Engine.Embedded.Simulation;

/// <summary>
/// Watches every node of a simulated ensemble and records each violation of ZAB's guarantees: two
/// leaders in one epoch; two members whose histories differ at the same zxid (the digest chains the
/// whole history, so equal digests mean one log is a prefix of the other); one client request applied
/// under two zxids.
/// </summary>
internal sealed class SafetyChecker : IPeerObserver
{
    private readonly Dictionary<long, int> _leaderOfEpoch = [];
    private readonly Dictionary<long, (ulong Digest, int ServerId)> _digestAt = [];
    private readonly Dictionary<(long SessionId, int Cxid), long> _zxidOfRequest = [];
    private readonly List<string> _violations = [];

    public IReadOnlyList<string> Violations => _violations;

    public int LeadersElected { get; private set; }

    public long TransactionsApplied { get; private set; }

    public void OnLeading(int serverId, long epoch)
    {
        LeadersElected++;
        if (_leaderOfEpoch.TryGetValue(epoch, out var other) && other != serverId)
        {
            Violation($"two leaders in epoch {epoch}: server {other} and server {serverId}");
        }

        _leaderOfEpoch[epoch] = serverId;
    }

    public void OnApplied(int serverId, long zxid, ulong digest, Txn? txn)
    {
        TransactionsApplied++;
        if (_digestAt.TryGetValue(zxid, out var seen))
        {
            if (seen.Digest != digest)
            {
                Violation($"server {serverId} and server {seen.ServerId} differ in history at zxid {Zxid.ToHex(zxid)}");
            }
        }
        else
        {
            _digestAt[zxid] = (digest, serverId);
        }

        if (txn is { Cxid: > 0 } && txn.Op is not CloseSessionOp)
        {
            var key = (txn.SessionId, txn.Cxid);
            if (_zxidOfRequest.TryGetValue(key, out var first))
            {
                if (first != zxid)
                {
                    Violation($"request {txn.SessionId:x}/{txn.Cxid} applied twice, at {Zxid.ToHex(first)} and {Zxid.ToHex(zxid)}");
                }
            }
            else
            {
                _zxidOfRequest[key] = zxid;
            }
        }
    }

    public void OnStateChanged(int serverId, PeerState state)
    {
    }

    public void Violation(string text)
    {
        if (_violations.Count < 50)
        {
            _violations.Add(text);
        }
    }
}
