using System.Net.Sockets;
using System.Text;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.ZooKeeper.Client;
using QuorumPortal.Engine.ZooKeeper.Jute;
using QuorumPortal.Engine.Tests.Testing;

namespace QuorumPortal.Engine.Tests.ZooKeeper;

/// <summary>One 3-server ensemble shared by the whole test class.</summary>
public sealed class EnsembleFixture : IAsyncLifetime
{
    internal RealZooKeeper? ZooKeeper { get; private set; }

    public async Task InitializeAsync()
    {
        if (RealZooKeeper.SkipReason is null)
        {
            ZooKeeper = await RealZooKeeper.StartAsync(3);
        }
    }

    public async Task DisposeAsync()
    {
        if (ZooKeeper is not null)
        {
            await ZooKeeper.DisposeAsync();
        }
    }
}

[Trait("Category", "ZooKeeper")]
public sealed class ZooKeeperClientTests(EnsembleFixture fixture) : IClassFixture<EnsembleFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private RealZooKeeper ZooKeeper => fixture.ZooKeeper ?? throw new InvalidOperationException("ZooKeeper fixture did not start");

    [ZooKeeperFact]
    public async Task Crud_WithVersions_BehavesAsZooKeeper()
    {
        await using var client = await ConnectAsync();
        var root = await UniqueRootAsync(client);

        var path = await client.CreateAsync($"{root}/a", "one"u8.ToArray());
        Assert.Equal($"{root}/a", path);
        var data = await client.GetDataAsync(path);
        Assert.Equal("one", Encoding.UTF8.GetString(data.Data));
        Assert.Equal(0, data.Stat.Version);

        var stat = await client.SetDataAsync(path, "two"u8.ToArray(), expectedVersion: 0);
        Assert.Equal(1, stat.Version);
        Assert.Equal(stat, await client.ExistsAsync(path));
        Assert.Equal(["a"], await client.GetChildrenAsync(root));

        await client.DeleteAsync(path, expectedVersion: 1);
        Assert.Null(await client.ExistsAsync(path));
        Assert.True(client.LastZxidSeen > 0);
    }

    [ZooKeeperFact]
    public async Task Errors_EveryProvokableCode_MapsToCoordinationError()
    {
        await using var client = await ConnectAsync();
        var root = await UniqueRootAsync(client);
        await client.CreateAsync($"{root}/p", Array.Empty<byte>());
        await client.CreateAsync($"{root}/p/child", Array.Empty<byte>());
        var ephemeral = await client.CreateAsync($"{root}/e", Array.Empty<byte>(), CreateMode.Ephemeral);

        await AssertError(CoordinationError.NoNode, () => client.GetDataAsync($"{root}/missing"));
        await AssertError(CoordinationError.NoNode, () => client.CreateAsync($"{root}/missing/x", Array.Empty<byte>()));
        await AssertError(CoordinationError.NodeExists, () => client.CreateAsync($"{root}/p", Array.Empty<byte>()));
        await AssertError(CoordinationError.BadVersion, () => client.SetDataAsync($"{root}/p", Array.Empty<byte>(), expectedVersion: 5));
        await AssertError(CoordinationError.BadVersion, () => client.DeleteAsync($"{root}/p/child", expectedVersion: 3));
        await AssertError(CoordinationError.NotEmpty, () => client.DeleteAsync($"{root}/p"));
        await AssertError(CoordinationError.NoChildrenForEphemerals, () => client.CreateAsync($"{ephemeral}/x", Array.Empty<byte>()));
        await AssertError(CoordinationError.BadArguments, () => client.CreateAsync("no-slash", Array.Empty<byte>()));
        await AssertError(CoordinationError.BadVersion, () => client.ReconfigAsync(null, "3", fromConfig: 0x7fff_0000_0000));

        // The session is still usable after every error.
        Assert.NotNull(await client.ExistsAsync(root));
    }

    [ZooKeeperFact]
    public async Task Create_SequentialModes_AppendTenDigitCounter()
    {
        await using var client = await ConnectAsync();
        var root = await UniqueRootAsync(client);

        var first = await client.CreateAsync($"{root}/s-", Array.Empty<byte>(), CreateMode.PersistentSequential);
        var second = await client.CreateAsync($"{root}/s-", Array.Empty<byte>(), CreateMode.EphemeralSequential);

        Assert.Equal($"{root}/s-0000000000", first);
        Assert.Equal($"{root}/s-0000000001", second);
        Assert.Equal(client.SessionId, (await client.ExistsAsync(second))!.EphemeralOwner);
        Assert.Equal(0, (await client.ExistsAsync(first))!.EphemeralOwner);
    }

    [ZooKeeperFact]
    public async Task Dispose_ClosesSession_EphemeralsVanish()
    {
        await using var observer = await ConnectAsync();
        var root = await UniqueRootAsync(observer);
        var owner = await ConnectAsync();
        var ephemeral = await owner.CreateAsync($"{root}/e", Array.Empty<byte>(), CreateMode.Ephemeral);
        await observer.SyncAsync(root);
        Assert.NotNull(await observer.ExistsAsync(ephemeral));

        await owner.DisposeAsync();

        await observer.SyncAsync(root);
        Assert.Null(await observer.ExistsAsync(ephemeral));
    }

    [ZooKeeperFact]
    public async Task Pipelining_ThousandInFlight_RepliesInOrder()
    {
        await using var client = await ConnectAsync();
        var root = await UniqueRootAsync(client);

        // Sequential suffixes are assigned in arrival order, so they reveal the order requests reached the leader.
        var creates = Enumerable.Range(0, 1000).Select(_ => client.CreateAsync($"{root}/q-", Array.Empty<byte>(), CreateMode.PersistentSequential)).ToList();
        var paths = await Task.WhenAll(creates).WaitAsync(Generous);

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"{root}/q-{i:D10}"), paths);
        Assert.Equal(1000, (await client.GetChildrenAsync(root)).Count);
    }

    [ZooKeeperFact]
    public async Task Connect_RequestsLongTimeout_ServerClampsToTwentyTicks()
    {
        await using var client = await ConnectAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.FromMilliseconds(20 * 200), client.NegotiatedSessionTimeout);
        Assert.NotEqual(0, client.SessionId);
        Assert.Equal(KeeperState.SyncConnected, client.State);
    }

    [ZooKeeperFact]
    public async Task Reconnect_AfterDroppedConnection_KeepsSessionAndWatch()
    {
        await using var client = await ConnectAsync();
        var root = await UniqueRootAsync(client);
        await client.CreateAsync($"{root}/w", Array.Empty<byte>());
        var events = CollectEvents(client);
        await client.GetDataAsync($"{root}/w", watch: true);
        var session = client.SessionId;

        client.DropConnection();
        await WaitUntilAsync(() => client.State == KeeperState.SyncConnected && client.ConnectedServer is not null);
        await using var other = await ConnectAsync();
        await other.SetDataAsync($"{root}/w", new byte[] { 1 });

        // The watch was re-armed by SetWatches on the new connection.
        var fired = await events.WaitForAsync(e => e.Type == WatchEventType.NodeDataChanged && e.Path == $"{root}/w");
        Assert.Equal(session, client.SessionId);
        Assert.Contains(events.Seen, e => e.State == KeeperState.Disconnected);
        Assert.NotNull(fired);
    }

    [ZooKeeperFact]
    public async Task Reconnect_ConnectedServerKilled_SessionAndEphemeralSurvive()
    {
        await using var client = await ConnectAsync();
        var root = await UniqueRootAsync(client);
        var ephemeral = await client.CreateAsync($"{root}/e", Array.Empty<byte>(), CreateMode.Ephemeral);
        var session = client.SessionId;
        var first = client.ConnectedServer!;
        var index = ZooKeeper.IndexOfPort(int.Parse(first.Split(':')[1]));
        try
        {
            ZooKeeper.Kill(index);

            // Requests made while reconnecting wait for the new connection; retry only what was in flight.
            NodeStat? stat = null;
            await WaitUntilAsync(async () =>
            {
                try
                {
                    stat = await client.ExistsAsync(ephemeral);
                    return true;
                }
                catch (CoordinationException e) when (e.Error == CoordinationError.ConnectionLoss)
                {
                    return false;
                }
            });

            Assert.NotEqual(first, client.ConnectedServer);
            Assert.Equal(session, client.SessionId);
            Assert.Equal(session, stat!.EphemeralOwner);
        }
        finally
        {
            ZooKeeper.Start(index);
            await ZooKeeper.WaitServingAsync();
        }
    }

    [ZooKeeperFact]
    public async Task Resume_ClosedSession_ReportsSessionExpired()
    {
        var first = await ConnectAsync();
        var id = first.SessionId;
        var password = first.SessionPassword.ToArray();
        await first.DisposeAsync();

        var error = await Assert.ThrowsAsync<CoordinationException>(() => ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectionString = ZooKeeper.ConnectionString,
            SessionTimeout = TimeSpan.FromSeconds(4),
            SessionId = id,
            SessionPassword = password,
        }));
        Assert.Equal(CoordinationError.SessionExpired, error.Error);
    }

    [ZooKeeperFact]
    public async Task Multi_SuccessAndFailure_AllOrNothing()
    {
        await using var client = await ConnectAsync();
        var root = await UniqueRootAsync(client);

        var results = await client.MultiAsync([
            new MultiOp.Create($"{root}/m", "x"u8.ToArray()),
            new MultiOp.SetData($"{root}/m", "y"u8.ToArray(), Version: 0),
            new MultiOp.Check($"{root}/m", 1),
        ]);
        Assert.Equal($"{root}/m", results[0].CreatedPath);
        Assert.Equal(1, results[1].Stat!.Version);

        var error = await Assert.ThrowsAsync<CoordinationException>(() => client.MultiAsync([
            new MultiOp.Create($"{root}/n", Array.Empty<byte>()),
            new MultiOp.Check($"{root}/m", 0),
            new MultiOp.Delete($"{root}/m"),
        ]));
        Assert.Equal(CoordinationError.BadVersion, error.Error);
        Assert.Equal($"{root}/m", error.Path);
        Assert.Null(await client.ExistsAsync($"{root}/n"));
        Assert.NotNull(await client.ExistsAsync($"{root}/m"));
    }

    [ZooKeeperFact]
    public async Task Watch_DataAndChildren_FireOnChange()
    {
        await using var client = await ConnectAsync();
        var root = await UniqueRootAsync(client);
        await client.CreateAsync($"{root}/d", Array.Empty<byte>());
        var events = CollectEvents(client);

        await client.GetDataAsync($"{root}/d", watch: true);
        await client.GetChildrenAsync(root, watch: true);
        Assert.Null(await client.ExistsAsync($"{root}/later", watch: true));
        await client.SetDataAsync($"{root}/d", new byte[] { 1 });
        await client.CreateAsync($"{root}/later", Array.Empty<byte>());

        await events.WaitForAsync(e => e is { Type: WatchEventType.NodeDataChanged, State: KeeperState.SyncConnected } && e.Path == $"{root}/d");
        await events.WaitForAsync(e => e.Type == WatchEventType.NodeChildrenChanged && e.Path == root);
        await events.WaitForAsync(e => e.Type == WatchEventType.NodeCreated && e.Path == $"{root}/later");
    }

    [ZooKeeperFact]
    public async Task GetConfig_Ensemble_ReturnsDynamicConfigText()
    {
        await using var client = await ConnectAsync();
        await client.SyncAsync(ZooKeeperClient.ConfigNode);

        var config = Encoding.UTF8.GetString((await client.GetConfigAsync()).Data);

        for (var i = 0; i < ZooKeeper.Count; i++)
        {
            Assert.Contains($"server.{i + 1}=127.0.0.1:{ZooKeeper.QuorumPorts[i]}:{ZooKeeper.ElectionPorts[i]}:participant;127.0.0.1:{ZooKeeper.ClientPorts[i]}", config);
        }

        Assert.Matches("\nversion=[0-9a-f]+$", config);
    }

    [ZooKeeperFact]
    public async Task Reconfig_WithoutSuperUser_NoAuth_WithSuperUser_Succeeds()
    {
        await using var client = await ConnectAsync();
        var spec = $"server.3=127.0.0.1:{ZooKeeper.QuorumPorts[2]}:{ZooKeeper.ElectionPorts[2]}:participant;127.0.0.1:{ZooKeeper.ClientPorts[2]}";
        await AssertError(CoordinationError.NoAuth, () => client.ReconfigAsync(spec, null));

        await client.AddAuthDigestAsync("super", "test");
        var config = Encoding.UTF8.GetString((await client.ReconfigAsync(spec, null)).Data);

        Assert.Contains(spec, config);
    }

    [ZooKeeperFact]
    public async Task GoldenFrames_SentRaw_RealServerAccepts()
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", ZooKeeper.ClientPorts[0]);
        var stream = socket.GetStream();
        await stream.WriteAsync(Convert.FromHexString(Golden.ConnectRequest30s));
        var connect = await ReadFrameAsync(stream);
        var reader = new JuteReader(connect);
        var response = ConnectResponse.Read(ref reader);
        Assert.Equal(4000, response.TimeOut);
        Assert.Equal(16, response.Passwd.Length);
        Assert.Equal(37, connect.Length); // the readOnly byte comes back because we sent one

        await stream.WriteAsync(Convert.FromHexString(Golden.CreateApp));
        var reply = await ReadFrameAsync(stream);
        reader = new JuteReader(reply);
        var header = ReplyHeader.Read(ref reader);
        Assert.Equal(5, header.Xid);
        Assert.True(header.Err is 0 or (int)CoordinationError.NodeExists, $"err {header.Err}");
        if (header.Err == 0)
        {
            Assert.Equal("/app", CreateResponse.Read(ref reader).Path);
        }
    }

    [Fact]
    [Trait("Category", "ZooKeeper")]
    public async Task MalformedServer_OverLimitFrame_FailsRequestWithConnectionLoss()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync();
            var stream = peer.GetStream();
            await ReadFrameAsync(stream);
            await stream.WriteAsync(FrameBuffer.Build(new ConnectResponse(0, 4000, 1, new byte[16], false)));
            await ReadFrameAsync(stream);
            await stream.WriteAsync(Convert.FromHexString("7fffffff0000"));
            await Task.Delay(Timeout.Infinite).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        });
        await using var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectionString = $"127.0.0.1:{port}",
            SessionTimeout = TimeSpan.FromSeconds(4),
            MaxFrameLength = 1024 * 1024,
        });

        var error = await Assert.ThrowsAsync<CoordinationException>(() => client.GetDataAsync("/x").WaitAsync(Generous));

        Assert.Equal(CoordinationError.ConnectionLoss, error.Error);
        Assert.Contains("exceeds", error.Message);
        listener.Stop();
    }

    private async Task<ZooKeeperClient> ConnectAsync(TimeSpan? timeout = null) =>
        await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectionString = ZooKeeper.ConnectionString,
            SessionTimeout = timeout ?? TimeSpan.FromSeconds(4),
            ConnectTimeout = Generous,
        }).WaitAsync(Generous);

    private static async Task<string> UniqueRootAsync(ZooKeeperClient client) =>
        await client.CreateAsync($"/t-{Guid.NewGuid():N}", Array.Empty<byte>());

    private async Task AssertError(CoordinationError expected, Func<Task> action)
    {
        var error = await Assert.ThrowsAsync<CoordinationException>(() => action().WaitAsync(Generous));
        Assert.True(expected == error.Error, $"expected {expected}, got {error.Error}: {error.Message}. {ZooKeeper.Describe()}");
    }

    private async Task WaitUntilAsync(Func<bool> condition) => await WaitUntilAsync(() => Task.FromResult(condition()));

    private async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not met within {Generous}. {ZooKeeper.Describe()}");
            await Task.Delay(20);
        }
    }

    private static async Task<byte[]> ReadFrameAsync(NetworkStream stream)
    {
        var length = new byte[4];
        await stream.ReadExactlyAsync(length);
        var payload = new byte[System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(length)];
        await stream.ReadExactlyAsync(payload);
        return payload;
    }

    private static EventLog CollectEvents(ZooKeeperClient client) => new(client);

    private sealed class EventLog
    {
        private readonly List<WatchEvent> _seen = [];
        private readonly SemaphoreSlim _changed = new(0);

        public EventLog(ZooKeeperClient client) => _ = Task.Run(async () =>
        {
            await foreach (var e in client.Watches)
            {
                lock (_seen)
                {
                    _seen.Add(e);
                }

                _changed.Release();
            }
        });

        public IReadOnlyList<WatchEvent> Seen
        {
            get
            {
                lock (_seen)
                {
                    return [.. _seen];
                }
            }
        }

        public async Task<WatchEvent> WaitForAsync(Func<WatchEvent, bool> match)
        {
            var deadline = DateTime.UtcNow + Generous;
            while (true)
            {
                if (Seen.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                Assert.True(await _changed.WaitAsync(deadline - DateTime.UtcNow), $"no matching watch event; saw {string.Join(", ", Seen)}");
            }
        }
    }
}
