using System.Net.Sockets;
using System.Text;

namespace QuorumPortal.Engine.Tests.ZooKeeper.Probes;

/// <summary>
/// A loopback HTTP/1.1 server that answers <c>GET /commands/&lt;name&gt;</c> from a table (404 otherwise), keeping each
/// connection open for more requests as Jetty does. Counts connections and requests.
/// </summary>
internal sealed class FakeAdminServer : LoopbackServer
{
    private readonly Dictionary<string, (int Status, string Body)> _answers;

    public FakeAdminServer(Dictionary<string, (int Status, string Body)> answers)
    {
        _answers = answers;
        Start();
    }

    public Uri Commands => new($"http://127.0.0.1:{Port}/commands/");

    public static Dictionary<string, (int Status, string Body)> Captured(string role) => new()
    {
        ["server_stats"] = (200, ProbeData.Read($"admin-{role}.server_stats.json")),
        ["monitor"] = (200, ProbeData.Read($"admin-{role}.monitor.json")),
    };

    protected override async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        var buffer = new byte[8192];
        var pending = new StringBuilder();
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop);
            if (n == 0)
            {
                return;
            }

            pending.Append(Encoding.ASCII.GetString(buffer, 0, n));
            int end;
            while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
            {
                var path = pending.ToString(0, end).Split(' ')[1];
                pending.Remove(0, end + 4);
                var command = path.StartsWith("/commands/", StringComparison.Ordinal) ? path["/commands/".Length..] : path;
                Record(command);
                var (status, body) = _answers.TryGetValue(command, out var a) ? a : (404, "<html>Not Found</html>");
                var bytes = Encoding.UTF8.GetBytes(body);
                var header = $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n";
                await socket.SendAsync(Encoding.ASCII.GetBytes(header).Concat(bytes).ToArray(), SocketFlags.None, stop);
            }
        }
    }
}
