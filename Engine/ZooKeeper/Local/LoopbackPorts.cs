using System.Net;
using System.Net.Sockets;

namespace QuorumPortal.Engine.ZooKeeper.Local;

/// <summary>Free TCP ports, and whether a port is still free.</summary>
internal static class LoopbackPorts
{
    /// <summary><paramref name="count"/> distinct ports the OS considers free now on <paramref name="host"/>.</summary>
    public static int[] Allocate(string host, int count)
    {
        // Hold every socket until all are chosen, so the OS never hands out the same port twice.
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var address = Address(host);
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                socket.Bind(new IPEndPoint(address, 0));
            }

            return sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
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
