using System.Net;
using System.Net.Sockets;

namespace QuorumPortal.Engine.ZooKeeper.Probes;

/// <summary>Why a four-letter word got no usable answer.</summary>
public enum FourLetterWordFailure
{
    /// <summary>Nothing listens on the port (the member is down or the port is wrong).</summary>
    ConnectionRefused,

    /// <summary>No complete answer within the timeout (the member may be paused or overloaded).</summary>
    TimedOut,

    /// <summary>The member answered that the word is not in its <c>4lw.commands.whitelist</c>.</summary>
    NotWhitelisted,

    /// <summary>Any other network failure (reset, unreachable host, answer too large).</summary>
    ConnectionFailed,
}

/// <summary>A four-letter word that got no usable answer; the message names the word, the address and the reason.</summary>
public sealed class FourLetterWordException(FourLetterWordFailure failure, string message, Exception? inner = null)
    : IOException(message, inner)
{
    public FourLetterWordFailure Failure { get; } = failure;
}

/// <summary>
/// Sends one four-letter word (<c>srvr</c>, <c>mntr</c>, <c>conf</c>, …) to a ZooKeeper client port and reads the
/// answer. The protocol: a fresh TCP connection, the 4 ASCII bytes with no length prefix, then the server writes
/// plain text and closes, so the answer is everything up to EOF.
/// </summary>
public sealed class FourLetterWordClient
{
    /// <summary>What ZooKeeper answers to most words while it has no quorum (it is looking for a leader).</summary>
    public const string NotServingText = "This ZooKeeper instance is not currently serving requests";

    /// <summary>How long connecting plus reading the whole answer may take. Default 2 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>True when <paramref name="answer"/> is ZooKeeper's "not currently serving requests" line.</summary>
    public static bool IsNotServing(string answer) => IsNotServing(answer.AsSpan());

    internal static bool IsNotServing(ReadOnlySpan<char> answer) => answer.Trim().SequenceEqual(NotServingText);

    /// <summary>Sends <paramref name="word"/> and returns the whole answer.</summary>
    /// <exception cref="FourLetterWordException">refused, timed out, not whitelisted, or another network failure.</exception>
    public async Task<string> SendAsync(string host, int port, string word, CancellationToken cancellationToken)
    {
        using var answer = await ExchangeAsync(host, port, word, cancellationToken).ConfigureAwait(false);
        return answer.ToString();
    }

    /// <summary>As <see cref="SendAsync"/>, but the answer stays in a pooled buffer the caller disposes.</summary>
    /// <param name="withLocalEndPoint">Keep the connection's own address in <see cref="PooledAnswer.LocalEndPoint"/> (<c>cons</c> lists it).</param>
    internal async Task<PooledAnswer> ExchangeAsync(string host, int port, string word, CancellationToken cancellationToken, bool withLocalEndPoint = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (word is not { Length: 4 } || !char.IsAsciiLetterLower(word[0]) || !char.IsAsciiLetterLower(word[1])
            || !char.IsAsciiLetterLower(word[2]) || !char.IsAsciiLetterLower(word[3]))
        {
            throw new ArgumentException($"'{word}' is not a four-letter word (four lower-case ASCII letters)", nameof(word));
        }

        // Nothing here allocates per word beyond the socket and the timeout: a monitor sends two words per member
        // several times a second (docs/benchmarks.md, zk-probe).
        var (endPoint, family) = EndPointOf(host, port);
        using var timeout = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
            : new CancellationTokenSource();
        timeout.CancelAfter(Timeout);
        using var socket = family == AddressFamily.Unspecified
            ? new Socket(SocketType.Stream, ProtocolType.Tcp)
            : new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        var answer = new PooledAnswer();
        var answered = false;
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            if (withLocalEndPoint)
            {
                answer.LocalEndPoint = socket.LocalEndPoint as IPEndPoint;
            }

            var request = answer.FreeSpace()[..4];
            System.Text.Encoding.ASCII.GetBytes(word, request.Span);
            await socket.SendAsync(request, SocketFlags.None, timeout.Token).ConfigureAwait(false);

            // Each receive asks for all the free space, so a whole answer that has arrived is one system call.
            int read;
            while ((read = await socket.ReceiveAsync(answer.FreeSpace(), SocketFlags.None, timeout.Token).ConfigureAwait(false)) > 0)
            {
                answer.Advance(read);
                if (answer.Length >= PooledAnswer.MaxBytes)
                {
                    throw new FourLetterWordException(FourLetterWordFailure.ConnectionFailed,
                        $"{Where(word, host, port)}: answer larger than {PooledAnswer.MaxBytes} bytes; this is not a ZooKeeper client port");
                }
            }

            if (answer.Span.TrimEnd(" \r\n"u8).EndsWith(" is not executed because it is not in the whitelist."u8))
            {
                throw new FourLetterWordException(FourLetterWordFailure.NotWhitelisted,
                    $"{Where(word, host, port)}: '{word}' is not in the member's 4lw.commands.whitelist; add it to zoo.cfg (the member said: {answer.ToString().Trim()})");
            }

            answered = true;
            return answer;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FourLetterWordException(FourLetterWordFailure.TimedOut,
                $"{Where(word, host, port)}: no complete answer within {Timeout.TotalMilliseconds:0} ms (the member may be paused, overloaded or not ZooKeeper)");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            throw new FourLetterWordException(FourLetterWordFailure.ConnectionRefused,
                $"{Where(word, host, port)}: connection refused (nothing listens on port {port}; the member is down or the port is wrong)", e);
        }
        catch (SocketException e)
        {
            throw new FourLetterWordException(FourLetterWordFailure.ConnectionFailed, $"{Where(word, host, port)}: {e.SocketErrorCode}: {e.Message}", e);
        }
        finally
        {
            if (!answered)
            {
                answer.Dispose();
            }
        }
    }

    private static string Where(string word, string host, int port) => $"{word} to {host}:{port}";

    // An address literal needs no resolver and gets a socket of its own family; a name is resolved by the socket.
    private static (EndPoint EndPoint, AddressFamily Family) EndPointOf(string host, int port) =>
        IPAddress.TryParse(host, out var address)
            ? (new IPEndPoint(address, port), address.AddressFamily)
            : (new DnsEndPoint(host, port), AddressFamily.Unspecified);
}
