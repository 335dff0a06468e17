using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Operations;
using QuorumPortal.Portal.Hubs;

namespace QuorumPortal.Portal.Tests.Hubs;

/// <summary>The hub's wire format: what docs/hub.md promises external clients, byte for byte where it matters.</summary>
public sealed class EnsembleHubPayloadTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 25, 21, 0, 1, TimeSpan.Zero);

    private static readonly EnsembleEvent[] OneOfEachKind =
    [
        new HeartbeatObserved("demo", At, 2, PeerState.Following, At.AddMilliseconds(-40), 0.5),
        new HeartbeatMissed("demo", At, 2, At.AddSeconds(-2), TimeSpan.FromSeconds(2)),
        new PeerStateChanged("demo", At, 1, PeerState.Leading, PeerState.Down, 3),
        new LeaderElected("demo", At, 1, 3, 4, TimeSpan.FromMilliseconds(412.5)),
        new LeaderLost("demo", At, 1, 3),
        new QuorumLost("demo", At, 1, 3),
        new QuorumRestored("demo", At, 2, 3, TimeSpan.FromMilliseconds(750)),
        new ThroughputSample("demo", At, 120, 30, 0.8, 12, TimeSpan.FromSeconds(1)),
        new MembershipChanged("demo", At, [new MemberSpec { ServerId = 1 }], 0x100000000),
        new OperationProgressed("demo", At, new OperationRecord
        {
            Id = Guid.Parse("6f0c8a52-0000-4000-8000-000000000001"),
            Ensemble = "demo",
            Kind = OperationKind.AddMembers,
            Title = "Expand to 5",
            RequestedBy = "alice",
            StartedAt = At,
            Steps = [new OperationStep("server.4: provision", StepState.Succeeded, At, At.AddMilliseconds(30), "server.4=127.0.0.1:0:0:participant;127.0.0.1:0")],
        }),
    ];

    [Fact]
    public void From_EveryEventKind_SerializesWithItsKindFirst()
    {
        Assert.Equal(Enum.GetValues<EnsembleEventKind>().Order(), OneOfEachKind.Select(e => e.Kind).Order());
        foreach (var e in OneOfEachKind)
        {
            var json = WireArgument(EnsembleEventBatchDto.From("demo", [e]));
            Assert.StartsWith($$"""{"ensemble":"demo","events":[{"kind":"{{e.Kind}}","ensemble":"demo","timestamp":"2026-11-25T21:00:01.000Z",""", json);
        }
    }

    [Fact]
    public void WriteMessage_LeaderElected_DocumentedJson()
    {
        var json = WireArgument(EnsembleEventBatchDto.From("demo", [OneOfEachKind[3]]));

        Assert.Equal(
            """{"ensemble":"demo","events":[{"kind":"LeaderElected","ensemble":"demo","timestamp":"2026-11-25T21:00:01.000Z","oldLeaderId":1,"newLeaderId":3,"epoch":4,"leaderlessForMs":412.5}]}""",
            json);
    }

    [Fact]
    public void WriteMessage_TimestampWithTicks_UtcMillisecondsOnly()
    {
        var precise = new DateTimeOffset(2026, 11, 25, 22, 0, 1, TimeSpan.FromHours(1)).AddTicks(1_234_567);

        var json = WireArgument(EnsembleEventBatchDto.From("demo", [new LeaderLost("demo", precise, 1, 3)]));

        Assert.Contains("\"timestamp\":\"2026-11-25T21:00:01.123Z\"", json);
    }

    [Fact]
    public void ParseMessage_WrittenBatch_SameEventsBack()
    {
        var protocol = Protocol();
        var batch = EnsembleEventBatchDto.From("demo", [.. OneOfEachKind[..8], OneOfEachKind[9]]);
        var bytes = protocol.GetMessageBytes(new InvocationMessage(nameof(IEnsembleClient.EventsReceived), [batch]));

        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(protocol.TryParseMessage(ref buffer, new Binder(), out var message));

        var parsed = (EnsembleEventBatchDto)((InvocationMessage)message!).Arguments[0]!;
        Assert.Equal(batch.Events, parsed.Events);
    }

    private static JsonHubProtocol Protocol()
    {
        var options = new JsonHubProtocolOptions();
        EnsembleHubJson.Configure(options.PayloadSerializerOptions);
        return new JsonHubProtocol(Options.Create(options));
    }

    /// <summary>The first argument of an EventsReceived invocation as it goes over the wire.</summary>
    private static string WireArgument(EnsembleEventBatchDto batch)
    {
        var text = Encoding.UTF8.GetString(Protocol().GetMessageBytes(new InvocationMessage(nameof(IEnsembleClient.EventsReceived), [batch])).Span);
        const string Prefix = """{"type":1,"target":"EventsReceived","arguments":[""";
        Assert.StartsWith(Prefix, text);
        Assert.EndsWith("]}\u001e", text);
        return text[Prefix.Length..^"]}\u001e".Length];
    }

    private sealed class Binder : IInvocationBinder
    {
        public IReadOnlyList<Type> GetParameterTypes(string methodName) => [typeof(EnsembleEventBatchDto)];

        public Type GetReturnType(string invocationId) => typeof(object);

        public Type GetStreamItemType(string streamId) => typeof(object);
    }
}
