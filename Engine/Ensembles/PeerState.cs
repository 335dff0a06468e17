namespace QuorumPortal.Engine.Ensembles;

/// <summary>ZooKeeper's <c>ServerState</c>, plus <see cref="Down"/> for a member that does not answer.</summary>
public enum PeerState
{
    Down,
    Looking,
    Following,
    Leading,
    Observing,
}

/// <summary>ZooKeeper's <c>ZabState</c>: the phase of the atomic broadcast protocol a member is in.</summary>
public enum ZabPhase
{
    Election,
    Discovery,
    Synchronization,
    Broadcast,
}

/// <summary>Where an ensemble runs.</summary>
public enum BackendKind
{
    Embedded,
    LocalZooKeeper,
    AttachedZooKeeper,
}
