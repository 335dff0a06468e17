using System.Net;
using System.Net.Sockets;

namespace QuorumPortal.Engine.ZooKeeper.Local;

/// <summary>Free TCP ports, and whether a port is still free.</summary>
internal static class LoopbackPorts
{
    // Below Linux's ephemeral range (32768–60999 by default): a port taken from that range is free when chosen
    // but may become the local end of some outgoing connection (ZooKeeper's own quorum links, a probe) before the
    // member that owns it starts, or restarts, and binds it.
    private const int FirstPort = 20_000;
    private const int PortCount = 12_000;
    private static readonly HashSet<int> Handed = [];

    /// <summary>
    /// <paramref name="count"/> distinct ports, free now on <paramref name="host"/> and not handed out before by
    /// this process, chosen at random below the ephemeral range.
    /// </summary>
    public static int[] Allocate(string host, int count)
    {
        var ports = new List<int>(count);
        lock (Handed)
        {
            for (var attempts = 0; ports.Count < count; attempts++)
            {
                if (attempts > PortCount)
                {
                    throw new InvalidOperationException($"no {count} free ports between {FirstPort} and {FirstPort + PortCount} on {host}");
                }

                var port = FirstPort + Random.Shared.Next(PortCount);
                if (!Handed.Contains(port) && IsFree(host, port))
                {
                    Handed.Add(port);
                    ports.Add(port);
                }
            }
        }

        return [.. ports];
    }

    /// <summary>True when nothing listens on <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static bool IsFree(string host, int port)
    {
        // SO_REUSEADDR as ZooKeeper sets it: a port left in TIME_WAIT by a killed member is free to ZooKeeper too.
        var address = Address(host);
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
    }

    private static IPAddress Address(string host) =>
        IPAddress.TryParse(host, out var address) ? address
        : host == "localhost" ? IPAddress.Loopback
        : Dns.GetHostAddresses(host).First();
}
