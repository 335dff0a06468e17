using System.Net;
using System.Net.Sockets;

namespace QuorumPortal.Engine.Operations;

/// <summary>Whether a local port can be bound now: a preflight for members the portal will start on this machine.</summary>
internal static class PortCheck
{
    public static bool IsFree(string host, int port)
    {
        if (!IPAddress.TryParse(host, out var address))
        {
            address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : null;
        }

        if (address is null)
        {
            // A remote host's ports are not ours to test; the member's start will say if it cannot bind.
            return true;
        }

        try
        {
            using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
