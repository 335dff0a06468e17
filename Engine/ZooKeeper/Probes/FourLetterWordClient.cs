using System.Buffers;
using System.Net.Sockets;
using System.Text;

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

    private const string NotWhitelistedSuffix = "is not executed because it is not in the whitelist.";

    // A real 3.8 mntr is ~30 KB; anything far larger is not ZooKeeper.
    private const int MaxAnswerBytes = 4 * 1024 * 1024;

    /// <summary>How long connecting plus reading the whole answer may take. Default 2 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>True when <paramref name="answer"/> is ZooKeeper's "not currently serving requests" line.</summary>
    public static bool IsNotServing(string answer) => answer.Trim() == NotServingText;

    /// <summary>Sends <paramref name="word"/> and returns the whole answer.</summary>
    /// <exception cref="FourLetterWordException">refused, timed out, not whitelisted, or another network failure.</exception>
    public async Task<string> SendAsync(string host, int port, string word, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (word is not { Length: 4 } || !word.All(char.IsAsciiLetterLower))
        {
            throw new ArgumentException($"'{word}' is not a four-letter word (four lower-case ASCII letters)", nameof(word));
        }

        var where = $"{word} to {host}:{port}";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        string answer;
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.ASCII.GetBytes(word), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            answer = await ReadToEndAsync(socket, where, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FourLetterWordException(FourLetterWordFailure.TimedOut,
                $"{where}: no complete answer within {Timeout.TotalMilliseconds:0} ms (the member may be paused, overloaded or not ZooKeeper)");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            throw new FourLetterWordException(FourLetterWordFailure.ConnectionRefused,
                $"{where}: connection refused (nothing listens on port {port}; the member is down or the port is wrong)", e);
        }
        catch (SocketException e)
        {
            throw new FourLetterWordException(FourLetterWordFailure.ConnectionFailed, $"{where}: {e.SocketErrorCode}: {e.Message}", e);
        }

        if (answer.TrimEnd().EndsWith(NotWhitelistedSuffix, StringComparison.Ordinal))
        {
            throw new FourLetterWordException(FourLetterWordFailure.NotWhitelisted,
                $"{where}: '{word}' is not in the member's 4lw.commands.whitelist; add it to zoo.cfg (the member said: {answer.Trim()})");
        }

        return answer;
    }

    // The answer goes into one pooled buffer and is decoded once: a monitor reads a ~17 KB mntr per member several
    // times a second, and a fresh chunk plus a growing MemoryStream per word was most of the probe's garbage.
    private static async Task<string> ReadToEndAsync(Socket socket, string where, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(32 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxAnswerBytes)
                    {
                        throw new FourLetterWordException(FourLetterWordFailure.ConnectionFailed,
                            $"{where}: answer larger than {MaxAnswerBytes} bytes; this is not a ZooKeeper client port");
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return Encoding.UTF8.GetString(buffer, 0, length);
                }

                length += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
