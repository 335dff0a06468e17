namespace QuorumPortal.Engine.Embedded.Runtime;

/// <summary>Traffic through an <see cref="InMemoryNetwork"/> since it was created.</summary>
/// <param name="Sent">Messages and datagrams handed to the network.</param>
/// <param name="Delivered">Messages and datagrams handed to an endpoint (a duplicated datagram counts twice).</param>
/// <param name="Dropped">Lost: faults, partitions, closed or reset connections, detached nodes.</param>
/// <param name="Duplicated">Datagrams delivered twice, and connection packets duplicated then discarded.</param>
/// <param name="Retransmitted">Connection packets "lost" and delivered late.</param>
/// <param name="Resets">Connections reset by the reset fault.</param>
internal readonly record struct NetworkTotals(long Sent, long Delivered, long Dropped, long Duplicated, long Retransmitted, long Resets);

/// <summary>One node's packets, as ZooKeeper counts them (since creation or the last reset).</summary>
internal readonly record struct PacketCounts(long Sent, long Received);
