using Microsoft.Extensions.Logging;
using QuorumPortal.Engine.ZooKeeper.Jute;

namespace QuorumPortal.Engine.ZooKeeper.Client;

/// <summary>How a <see cref="ZooKeeperClient"/> connects.</summary>
public sealed record ZooKeeperClientOptions
{
    /// <summary>"host:port,host:port"; tried in random order.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Requested session timeout; the server clamps it into [2, 20] × tickTime. Default 10 s.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the first connect may take over all servers. Default: the session timeout.</summary>
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>Largest frame accepted from the server (ZooKeeper's <c>jute.maxbuffer</c>). Default 64 MiB.</summary>
    public int MaxFrameLength { get; init; } = FrameDecoder.DefaultMaxFrameLength;

    /// <summary>Resume this session instead of creating one (with <see cref="SessionPassword"/>). Default 0: new session.</summary>
    public long SessionId { get; init; }

    /// <summary>The 16-byte password of <see cref="SessionId"/>.</summary>
    public byte[]? SessionPassword { get; init; }

    /// <summary>Maps "host:port" to a server id for <see cref="ZooKeeperClient.ConnectedServerId"/>. Default none (null id).</summary>
    public Func<string, int?>? ServerIdLookup { get; init; }

    /// <summary>Seed for the server order; null = random.</summary>
    public int? Seed { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public ILogger? Logger { get; init; }

    internal IReadOnlyList<(string Host, int Port)> ParseServers()
    {
        var servers = new List<(string, int)>();
        foreach (var part in ConnectionString.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // A chroot suffix ("host:port/app") is not supported.
            var colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535 || part.Contains('/'))
            {
                throw new ArgumentException($"bad server \"{part}\" in connection string; expected host:port", nameof(ConnectionString));
            }

            servers.Add((part[..colon].Trim('[', ']'), port));
        }

        return servers.Count > 0 ? servers : throw new ArgumentException("connection string names no server", nameof(ConnectionString));
    }
}
