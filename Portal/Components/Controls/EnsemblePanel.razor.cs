using System.Globalization;
using Microsoft.AspNetCore.Components;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Portal.Components.Controls;

/// <summary>
/// One ensemble, live: its leader, quorum health and a row per member. Subscribes to the ensemble's event
/// stream (snapshot plus batches) on a task it owns, renders at most every <see cref="RenderInterval"/> except
/// that leadership and quorum changes render at once, and cancels the subscription in <see cref="DisposeAsync"/>.
/// </summary>
public sealed partial class EnsemblePanel : ComponentBase, IAsyncDisposable
{
    /// <summary>Coalescing window for renders that carry no leadership or quorum change.</summary>
    public static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private EnsembleSnapshot? _snapshot;
    private LeaderElected? _lastElection;
    private long _lastRender;

    /// <summary>Name of the ensemble to show; read once, when the panel is first rendered. Required.</summary>
    [Parameter, EditorRequired]
    public string Ensemble { get; set; } = "";

    /// <summary>Members as configured, shown until the first probe arrives. Default: none.</summary>
    [Parameter]
    public IReadOnlyList<MemberSpec> Members { get; set; } = [];

    [Inject]
    private EnsembleEventStreams Streams { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    protected override void OnInitialized()
    {
        var subscription = Streams.Subscribe(Ensemble, _stop.Token);
        _snapshot = subscription.Snapshot;
        _lastRender = Time.GetTimestamp();
        _loop = ConsumeAsync(subscription, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }

    private async Task ConsumeAsync(EnsembleSubscription subscription, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in subscription.ReadBatchesAsync(cancellationToken))
            {
                var election = batch.OfType<LeaderElected>().LastOrDefault();
                var urgent = election is not null || batch.Any(e => e is LeaderLost or QuorumLost or QuorumRestored);
                var wait = RenderInterval - Time.GetElapsedTime(_lastRender);
                if (!urgent && wait > TimeSpan.Zero)
                {
                    // Whatever arrives meanwhile is queued on the subscription and read as the next batch.
                    await Task.Delay(wait, Time, cancellationToken);
                }

                await InvokeAsync(() =>
                {
                    _snapshot = subscription.Current;
                    _lastElection = election ?? _lastElection;
                    _lastRender = Time.GetTimestamp();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (cancellationToken.IsCancellationRequested)
        {
            // The circuit went away while a render was being queued.
        }
    }

    private IEnumerable<MemberStatus> Rows() =>
        _snapshot?.Statuses.OrderBy(s => s.ServerId)
        ?? Members.Select(m => MemberStatus.Down(m.ServerId, DateTimeOffset.MinValue, "not probed yet") with { Role = m.Role });

    // The data-role hook browser tests and the dashboard agree on; ZooKeeper's state words, lower case.
    private static string DomRole(PeerState state) => state switch
    {
        PeerState.Leading => "leader",
        PeerState.Following => "follower",
        PeerState.Observing => "observer",
        PeerState.Looking => "looking",
        _ => "down",
    };

    private static string HeartbeatAge(MemberStatus status) =>
        status.LastHeartbeat is { } at && status.IsServing
            ? string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (status.ProbedAt - at).TotalMilliseconds):0} ms")
            : "—";
}
