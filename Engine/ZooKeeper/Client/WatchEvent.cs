namespace QuorumPortal.Engine.ZooKeeper.Client;

/// <summary>ZooKeeper's <c>Watcher.Event.EventType</c>.</summary>
public enum WatchEventType
{
    /// <summary>A change of the session's state, not of a node.</summary>
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
}

/// <summary>ZooKeeper's <c>Watcher.Event.KeeperState</c>.</summary>
public enum KeeperState
{
    Disconnected = 0,
    SyncConnected = 3,
    AuthFailed = 4,
    ConnectedReadOnly = 5,
    Closed = 7,
    Expired = -112,
}

/// <summary>A watch that fired (path set) or a session state change (<see cref="WatchEventType.None"/>, path null).</summary>
public sealed record WatchEvent(WatchEventType Type, KeeperState State, string? Path);
