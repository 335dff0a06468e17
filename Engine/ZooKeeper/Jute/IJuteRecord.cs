namespace QuorumPortal.Engine.ZooKeeper.Jute;

/// <summary>A record with jute's layout: its fields back to back, in declaration order.</summary>
public interface IJuteRecord
{
    void Write(JuteWriter writer);
}

/// <summary>A record that can also be read back.</summary>
public interface IJuteRecord<TSelf> : IJuteRecord
    where TSelf : IJuteRecord<TSelf>
{
    static abstract TSelf Read(ref JuteReader reader);
}
