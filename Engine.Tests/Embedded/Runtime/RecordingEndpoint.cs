using QuorumPortal.Engine.Embedded.Runtime;

namespace QuorumPortal.Engine.Tests.Embedded.Runtime;

/// <summary>Records every network callback as text, with the loop time it arrived at.</summary>
internal sealed class RecordingEndpoint(int serverId, IEventLoop loop) : INetworkEndpoint
{
    public int ServerId { get; } = serverId;

    public IEventLoop Loop { get; } = loop;

    public List<string> Events { get; } = [];

    public List<object> Messages { get; } = [];

    public List<object> Datagrams { get; } = [];

    public List<(long Connection, int From)> Connected { get; } = [];

    public List<(long Connection, int Peer, TimeSpan At)> Closed { get; } = [];

    public void OnDatagram(int from, object message)
    {
        Datagrams.Add(message);
        Record($"datagram from {from}: {message}");
    }

    public void OnConnected(long connectionId, int from)
    {
        Connected.Add((connectionId, from));
        Record($"connected {connectionId} from {from}");
    }

    public void OnMessage(long connectionId, int from, object message)
    {
        Messages.Add(message);
        Record($"message {connectionId} from {from}: {message}");
    }

    public void OnClosed(long connectionId, int peer)
    {
        Closed.Add((connectionId, peer, Loop.Now));
        Record($"closed {connectionId} by {peer}");
    }

    private void Record(string text) =>
        Events.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Loop.Now.Ticks} @{ServerId} {text}"));
}
