using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Embedded;
using QuorumPortal.Engine.Embedded.Data;
using QuorumPortal.Engine.Ensembles;
using Xunit.Abstractions;

namespace QuorumPortal.Engine.Tests.Embedded.Scenarios;

/// <summary>Sessions as a client sees them: expiry, moving between members, and never going back in time.</summary>
public sealed class SessionScenarioTests(ITestOutputHelper output)
{
    private const int SessionTimeoutMs = 1000;

    [Theory]
    [InlineData(false, 1901)]
    [InlineData(true, 1904)]
    public void Session_ClientStopsPinging_ExpiresAndEphemeralVanishesEverywhere(bool connectedToLeader, int seed)
    {
        var h = new ScenarioHarness(output, seed, 3);
        var leader = h.StartAndWaitForLeader();
        var server = connectedToLeader ? leader : h.Peer(h.Ensemble.Peers.Keys.Where(id => id != leader.ServerId).Min());
        h.Log($"clients connect to server {server.ServerId} ({server.State})");
        var silent = h.Connect(server, SessionTimeoutMs);
        var pinging = h.Connect(server, SessionTimeoutMs);
        pinging.StartPinging(TimeSpan.FromMilliseconds(SessionTimeoutMs / 3));
        Assert.Equal(SessionTimeoutMs, silent.NegotiatedTimeoutMs);
        Assert.Null(h.Call(silent, new WriteOp(new CreateOp("/silent", [1], CreateMode.Ephemeral))).Error);
        Assert.Null(h.Call(pinging, new WriteOp(new CreateOp("/pinging", [1], CreateMode.Ephemeral))).Error);
        var lastHeard = h.Now;
        h.WaitFor(() => h.Ensemble.Peers.Values.All(p => p.Tree.GetData("/silent") is not null), TimeSpan.FromSeconds(1), "ephemeral on every member");

        // The silent client stays connected but sends nothing: the leader expires its session.
        h.WaitFor(() => h.Ensemble.Peers.Values.All(p => p.Tree.GetData("/silent") is null), TimeSpan.FromSeconds(5), "ephemeral gone from every member");
        var expiredAfter = h.Now - lastHeard;
        h.Log($"session {silent.SessionId:x} expired, ephemeral gone everywhere {ScenarioHarness.Ms(expiredAfter)} ms after its last request");
        Assert.True(expiredAfter >= TimeSpan.FromMilliseconds(SessionTimeoutMs) && expiredAfter <= TimeSpan.FromMilliseconds(SessionTimeoutMs + 300),
            $"expiry after {ScenarioHarness.Ms(expiredAfter)} ms, timeout {SessionTimeoutMs} ms; {h.Context}");
        Assert.Equal(CoordinationError.SessionExpired, silent.DisconnectReason);
        Assert.All(h.Ensemble.Peers.Values, p => Assert.False(p.Tree.Sessions.ContainsKey(silent.SessionId)));

        // The pinging client's session and ephemeral live on.
        h.RunFor(TimeSpan.FromMilliseconds(3 * SessionTimeoutMs));
        Assert.True(pinging.IsConnected, $"the pinging client lost its session: {pinging.DisconnectReason}; {h.Context}");
        Assert.All(h.Ensemble.Peers.Values, p => Assert.NotNull(p.Tree.GetData("/pinging")));
        h.AssertNoViolations();
    }

    [Fact]
    public void Session_MemberCrashesAndClientMovesToAnother_SessionAndEphemeralSurvive()
    {
        var h = new ScenarioHarness(output, 1902, 3);
        var leader = h.StartAndWaitForLeader();
        var followers = h.Ensemble.Peers.Keys.Where(id => id != leader.ServerId).Order().ToList();
        var client = h.Connect(h.Peer(followers[0]), SessionTimeoutMs);
        client.StartPinging(TimeSpan.FromMilliseconds(SessionTimeoutMs / 3));
        Assert.Null(h.Call(client, new WriteOp(new CreateOp("/owned", Encoding.UTF8.GetBytes("mine"), CreateMode.Ephemeral))).Error);
        var session = client.SessionId;

        h.Ensemble.Crash(followers[0]);
        Assert.Equal(CoordinationError.ConnectionLoss, client.DisconnectReason);
        h.RunFor(TimeSpan.FromMilliseconds(SessionTimeoutMs / 2)); // the client takes a while to find another member
        client.Reconnect(h.Peer(followers[1]));
        h.WaitFor(() => client.IsConnected || client.Disconnects > 1, TimeSpan.FromSeconds(1), "answer to the reconnect");
        Assert.True(client.IsConnected && client.SessionId == session,
            $"session {session:x} not resumed on server {followers[1]}: {client.DisconnectReason}; {h.Context}");
        h.Log($"session {session:x} resumed on server {followers[1]}");

        h.RunFor(TimeSpan.FromMilliseconds(3 * SessionTimeoutMs));
        Assert.True(client.IsConnected, $"the moved session was lost: {client.DisconnectReason}; {h.Context}");
        foreach (var peer in h.Ensemble.Peers.Values)
        {
            Assert.True(peer.Tree.GetData("/owned") is { } owned && owned.Stat.EphemeralOwner == session,
                $"ephemeral of session {session:x} missing on server {peer.ServerId}; {h.Context}");
        }

        Assert.Null(h.Call(client, new WriteOp(new SetDataOp("/owned", [2], -1))).Error);
        h.AssertNoViolations();
    }

    [Fact]
    public void Session_MemberBehindLastZxidSeen_RefusesReconnectUntilCaughtUp()
    {
        var h = new ScenarioHarness(output, 1903, 5);
        var leader = h.StartAndWaitForLeader();
        var lagging = h.Peer(h.Ensemble.Peers.Keys.Where(id => id != leader.ServerId).Min());
        var client = h.Connect(leader, SessionTimeoutMs);
        h.WaitFor(() => lagging.AppliedZxid == leader.AppliedZxid, TimeSpan.FromSeconds(1), "lagging member holding the session");

        // Cut one follower off; it keeps following for syncLimit ticks without hearing of new commits.
        h.Ensemble.Network.Isolate(lagging.ServerId);
        var seen = h.Call(client, new WriteOp(new CreateOp("/seen", [1], CreateMode.Persistent)));
        Assert.Null(seen.Error);
        Assert.True(lagging.Phase == ZabPhase.Broadcast && lagging.AppliedZxid < client.LastZxidSeen,
            $"precondition: server {lagging.ServerId} serving but behind {Zxid.ToHex(client.LastZxidSeen)}; {h.Context}");

        var moving = Resume(h, client, lagging, client.LastZxidSeen);
        h.Log($"server {lagging.ServerId} at {Zxid.ToHex(lagging.AppliedZxid)}, client saw {Zxid.ToHex(client.LastZxidSeen)}: {Answer(moving)}");
        Assert.True(!moving.IsConnected && moving.DisconnectReason == CoordinationError.ConnectionLoss,
            $"a member behind the client's last zxid answered {Answer(moving)}; {h.Context}");

        // It refuses because of the zxid alone: a client that saw only what it has is welcome.
        var behind = Resume(h, client, lagging, lagging.AppliedZxid);
        Assert.True(behind.IsConnected, $"the lagging member refused a client at its own zxid: {Answer(behind)}; {h.Context}");
        behind.Disconnect();

        h.Ensemble.Network.Heal();
        h.WaitFor(() => lagging.Phase == ZabPhase.Broadcast && lagging.AppliedZxid >= seen.Zxid, TimeSpan.FromSeconds(5), "lagging member caught up");
        moving.Connect(lagging, client.SessionId, client.LastZxidSeen);
        h.WaitFor(() => moving.IsConnected || moving.DisconnectReason is not null, TimeSpan.FromSeconds(1), "answer after catching up");
        Assert.True(moving.IsConnected, $"the caught-up member refused the client: {moving.DisconnectReason}; {h.Context}");
        h.AssertNoViolations();
    }

    [Fact]
    public void Session_NewSessionResumedOnMemberThatMissedItsCreation_RefusedAsBehindNotExpired()
    {
        var h = new ScenarioHarness(output, 1905, 3);
        var leader = h.StartAndWaitForLeader();
        var lagging = h.Peer(h.Ensemble.Peers.Keys.Where(id => id != leader.ServerId).Min());

        // Cut one follower off; it keeps serving for syncLimit ticks without hearing of the session's creation.
        h.Ensemble.Network.Isolate(lagging.ServerId);
        var client = h.Connect(leader, SessionTimeoutMs);
        Assert.True(lagging.Phase == ZabPhase.Broadcast && !lagging.Tree.Sessions.ContainsKey(client.SessionId),
            $"precondition: server {lagging.ServerId} serving without session {client.SessionId:x}; {h.Context}");

        var moving = Resume(h, client, lagging, client.LastZxidSeen);
        h.Log($"session {client.SessionId:x} created at {Zxid.ToHex(client.LastZxidSeen)}; server {lagging.ServerId} at {Zxid.ToHex(lagging.AppliedZxid)} answered {Answer(moving)}");

        // The session is alive: the member is behind the connect that created it, so the client must try elsewhere.
        Assert.True(!moving.IsConnected && moving.DisconnectReason == CoordinationError.ConnectionLoss,
            $"a member that missed the session's creation answered {Answer(moving)}; {h.Context}");
        h.AssertNoViolations();
    }

    /// <summary>A second client resuming <paramref name="owner"/>'s session on <paramref name="server"/>, once the member has answered.</summary>
    private static ScenarioClient Resume(ScenarioHarness h, ScenarioClient owner, QuorumPeer server, long lastZxidSeen)
    {
        var client = h.NewClient(SessionTimeoutMs);
        client.Connect(server, owner.SessionId, lastZxidSeen);
        h.WaitFor(() => client.IsConnected || client.DisconnectReason is not null, TimeSpan.FromSeconds(1), $"answer from server {server.ServerId}");
        return client;
    }

    private static string Answer(ScenarioClient client) => client.IsConnected ? "connected" : client.DisconnectReason?.ToString() ?? "nothing";
}
