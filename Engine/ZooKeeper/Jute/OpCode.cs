namespace QuorumPortal.Engine.ZooKeeper.Jute;

/// <summary>ZooKeeper's <c>ZooDefs.OpCode</c> values the client uses.</summary>
public enum OpCode
{
    Notification = 0,
    Create = 1,
    Delete = 2,
    Exists = 3,
    GetData = 4,
    SetData = 5,
    GetChildren = 8,
    Sync = 9,
    Ping = 11,
    GetChildren2 = 12,
    Check = 13,
    Multi = 14,
    Create2 = 15,
    Reconfig = 16,
    Auth = 100,
    SetWatches = 101,
    CloseSession = -11,
    Error = -1,
}

/// <summary>Reserved xids: notifications, pings and auth replies are matched by these, not by the FIFO.</summary>
public static class Xids
{
    public const int Notification = -1;
    public const int Ping = -2;
    public const int Auth = -4;
}

/// <summary>ZooKeeper's <c>ZooDefs.Perms</c> bits.</summary>
[Flags]
public enum Perms
{
    None = 0,
    Read = 1,
    Write = 2,
    Create = 4,
    Delete = 8,
    Admin = 16,
    All = 31,
}
