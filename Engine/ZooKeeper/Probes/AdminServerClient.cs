using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>Why an AdminServer command got no usable answer.</summary>
public enum AdminServerFailure
{
    /// <summary>Nothing listens on the port (no AdminServer, or the member is down).</summary>
    ConnectionRefused,

    /// <summary>No complete answer within the timeout.</summary>
    TimedOut,

    /// <summary>The server answered with an HTTP status other than 200 (ZooKeeper 3.8 answers 500 to <c>monitor</c> while it has no quorum).</summary>
    HttpStatus,

    /// <summary>Any other network failure.</summary>
    ConnectionFailed,
}

/// <summary>An AdminServer command that got no usable answer; the message names the URL and the reason.</summary>
public sealed class AdminServerException(AdminServerFailure failure, string message, Exception? inner = null, HttpStatusCode? status = null)
    : IOException(message, inner)
{
    public AdminServerFailure Failure { get; } = failure;

    public HttpStatusCode? Status { get; } = status;
}

/// <summary>
/// Runs ZooKeeper AdminServer commands: <c>GET &lt;commands URL&gt;/&lt;command&gt;</c>, a JSON answer. One HTTP/1.1
/// connection per AdminServer, kept alive between probes, so a probe costs two requests and no TCP handshake;
/// a four-letter word costs a connection each (docs/benchmarks.md, zk-probe).
/// </summary>
public sealed class AdminServerClient : IDisposable
{
    private readonly HttpMessageInvoker _http;
    private readonly ConcurrentDictionary<(Uri Commands, string Command), Uri> _uris = new();

    public AdminServerClient()
    {
        _http = new HttpMessageInvoker(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            // Below Jetty's default idle timeout (admin.idleTimeout, 30 s), so the server never closes a connection
            // just as a request goes out on it.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        });
    }

    /// <summary>One client for the process: its connection pool keeps one connection per AdminServer.</summary>
    public static AdminServerClient Shared { get; } = new();

    /// <summary>How long one command may take, connecting included. Default 2 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The commands URL of an AdminServer: <c>http://host:port/commands/</c> (ZooKeeper's default <c>admin.commandURL</c>).</summary>
    public static Uri CommandsUrl(string host, int port) => new($"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}/commands/");

    /// <summary>Runs <paramref name="command"/> and returns its JSON answer.</summary>
    /// <param name="commands">The commands URL, e.g. <c>http://127.0.0.1:8080/commands/</c>.</param>
    /// <exception cref="AdminServerException">refused, timed out, an HTTP status other than 200, or another network failure.</exception>
    public async Task<string> GetAsync(Uri commands, string command, CancellationToken cancellationToken)
    {
        using var answer = await ExchangeAsync(commands, command, cancellationToken).ConfigureAwait(false);
        return answer.ToString();
    }

    /// <summary>As <see cref="GetAsync"/>, but the answer stays in a pooled buffer the caller disposes.</summary>
    internal async Task<PooledAnswer> ExchangeAsync(Uri commands, string command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentException.ThrowIfNullOrEmpty(command);
        var uri = _uris.GetOrAdd((commands, command), static key => new Uri(
            key.Commands.OriginalString.EndsWith('/') ? key.Commands : new Uri(key.Commands.OriginalString + "/"), key.Command));
        using var timeout = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
            : new CancellationTokenSource();
        timeout.CancelAfter(Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        PooledAnswer? answer = null;
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new AdminServerException(AdminServerFailure.HttpStatus,
                    $"{uri}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}", status: response.StatusCode);
            }

            answer = new PooledAnswer(LengthHint(response.Content.Headers));
            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                int read;
                while ((read = await stream.ReadAsync(answer.FreeSpace(), timeout.Token).ConfigureAwait(false)) > 0)
                {
                    answer.Advance(read);
                    if (answer.Length >= PooledAnswer.MaxBytes)
                    {
                        throw new AdminServerException(AdminServerFailure.ConnectionFailed,
                            $"{uri}: answer larger than {PooledAnswer.MaxBytes} bytes; this is not a ZooKeeper AdminServer");
                    }
                }
            }

            var done = answer;
            answer = null;
            return done;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AdminServerException(AdminServerFailure.TimedOut,
                $"{uri}: no complete answer within {Timeout.TotalMilliseconds:0} ms (the member may be paused or overloaded)");
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            throw new AdminServerException(AdminServerFailure.ConnectionRefused,
                $"{uri}: connection refused (no AdminServer listens on port {uri.Port})", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException and not AdminServerException)
        {
            throw new AdminServerException(AdminServerFailure.ConnectionFailed, $"{uri}: {e.Message}", e);
        }
        finally
        {
            answer?.Dispose();
        }
    }

    public void Dispose() => _http.Dispose();

    private static int LengthHint(HttpContentHeaders headers) =>
        headers.ContentLength is long length and > 0 and < PooledAnswer.MaxBytes ? (int)length + 1 : 32 * 1024;
}
