namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>A node's side of <see cref="InMemoryNetwork"/>; every callback runs on the node's loop.</summary>
internal interface INetworkEndpoint
{
    /// <summary>An unreliable datagram (leader election traffic).</summary>
    void OnDatagram(int from, object message);

    /// <summary>A peer opened a connection to this node; arrives before its first message.</summary>
    void OnConnected(long connectionId, int from);

    /// <summary>A message on a connection, in the order the peer sent it.</summary>
    void OnMessage(long connectionId, int from, object message);

    /// <summary>The connection is gone: closed or reset by <paramref name="peer"/>, or refused.</summary>
    void OnClosed(long connectionId, int peer);
}
