using Microsoft.AspNetCore.Components;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Events;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Portal.History;
using QuorumPortal.Portal.Model;
using QuorumPortal.Portal.Utils;

namespace QuorumPortal.Portal.Components;

/// <summary>
/// A component that shows one ensemble live. It owns a subscription to the ensemble's stream (snapshot plus
/// batches), read on a task it owns; takes the shared <see cref="EnsembleHistory"/>'s past once, after subscribing,
/// and skips streamed events that past already holds; applies each batch on the renderer's dispatcher; renders
/// urgent events (<see cref="EventView.IsUrgent"/>) at once and everything else at most every
/// <see cref="RenderInterval"/>. <see cref="DisposeAsync"/> cancels the subscription and awaits the task.
/// </summary>
public abstract class LiveEnsembleComponent : ComponentBase, IAsyncDisposable
{
    /// <summary>Coalescing window for renders that carry no urgent event.</summary>
    public static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(250);

    private CancellationTokenSource? _stop;
    private Task? _loop;
    private RenderThrottle? _throttle;
    private string? _following;

    [Inject]
    private EnsembleEventStreams Streams { get; set; } = null!;

    [Inject]
    private EnsembleHistoryService Histories { get; set; } = null!;

    [Inject]
    private EnsembleRegistry Registry { get; set; } = null!;

    [Inject]
    protected TimeProvider Time { get; set; } = null!;

    /// <summary>The registry's entry (backend, monitor), when the ensemble is registered; streams fed otherwise have none.</summary>
    protected RegisteredEnsemble? Registered { get; private set; }

    /// <summary>The monitor's missed-heartbeat threshold for this ensemble (the defaults when it is not registered).</summary>
    protected TimeSpan MissedAfter => Registered is { } r
        ? r.Monitor.Options.EffectiveHeartbeatMissedAfter(r.Backend.Settings)
        : new EnsembleMonitorOptions().EffectiveHeartbeatMissedAfter(new EnsembleSettings());

    /// <summary>The ensemble this component follows; when it changes, the old subscription ends and a new one starts.</summary>
    protected abstract string EnsembleName { get; }

    /// <summary>What, when it changes, starts the subscription and the past over; default <see cref="EnsembleName"/>.</summary>
    protected virtual string FollowKey => EnsembleName;

    /// <summary>False when the ensemble has no stream (an unknown name).</summary>
    protected bool Found { get; private set; }

    /// <summary>The newest snapshot seen; null before the first probe.</summary>
    protected EnsembleSnapshot? Snapshot { get; private set; }

    /// <summary>The ensemble's shared history; null when not found.</summary>
    protected EnsembleHistory? History { get; private set; }

    /// <summary>Renders done by the throttle (coalesced ones); tests read it.</summary>
    internal int CoalescedRenders => _throttle?.Renders ?? 0;

    protected override async Task OnParametersSetAsync()
    {
        if (_following == FollowKey)
        {
            return;
        }

        await StopFollowingAsync();
        _following = FollowKey;
        Snapshot = null;
        History = null;
        Registered = Registry.TryGet(EnsembleName, out var registered) ? registered : null;
        Found = Streams.TryGet(EnsembleName, out var stream);
        if (!Found)
        {
            return;
        }

        _stop = new CancellationTokenSource();
        _throttle = new RenderThrottle(Time, RenderInterval, RenderAsync);

        // Subscribe before taking the past, so nothing falls between the two; the overlap is skipped by timestamp.
        var subscription = stream!.Subscribe(_stop.Token);
        Snapshot = subscription.Snapshot;
        History = Histories.TryGet(EnsembleName, out var history) ? history : null;
        DateTimeOffset? cutoff = null;
        if (WantsPast)
        {
            var cut = history?.Cut() ?? HistoryCut.Empty;
            cutoff = cut.LastRound;
            OnPast(cut);
        }

        _loop = FollowAsync(subscription, cutoff, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopFollowingAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Whether <see cref="OnPast"/> is wanted (pages with an event log or timeline); default false.</summary>
    protected virtual bool WantsPast => false;

    /// <summary>The ensemble's past, once, before the first streamed batch; on the renderer's dispatcher.</summary>
    protected virtual void OnPast(HistoryCut cut)
    {
    }

    /// <summary>A batch of events not in the past already seen, after <see cref="Snapshot"/> was updated; on the dispatcher.</summary>
    protected virtual void OnEvents(IReadOnlyList<EnsembleEvent> batch)
    {
    }

    private async Task FollowAsync(EnsembleSubscription subscription, DateTimeOffset? cutoff, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in subscription.ReadBatchesAsync(cancellationToken))
            {
                var fresh = batch;
                if (cutoff is { } seen)
                {
                    fresh = [.. batch.Where(e => e.Timestamp > seen)];
                    if (fresh.Count > 0)
                    {
                        cutoff = null; // rounds arrive in order: everything after this is new
                    }
                }

                await InvokeAsync(() =>
                {
                    Snapshot = subscription.Current;
                    if (History is null && Histories.TryGet(EnsembleName, out var late))
                    {
                        History = late; // the history starts once the ensemble's first round is published
                    }

                    OnEvents(fresh);
                    if (fresh.Any(EventView.IsUrgent))
                    {
                        _throttle!.Rendered();
                        StateHasChanged();
                    }
                    else
                    {
                        _throttle!.Request();
                    }
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (cancellationToken.IsCancellationRequested)
        {
            // The circuit went away while a batch was being dispatched.
        }
    }

    private async Task RenderAsync()
    {
        try
        {
            await InvokeAsync(StateHasChanged);
        }
        catch (ObjectDisposedException)
        {
            // The renderer is gone (circuit closed); nothing to render to.
        }
    }

    private async Task StopFollowingAsync()
    {
        if (_stop is null)
        {
            return;
        }

        await _stop.CancelAsync();
        _throttle?.Dispose();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
        _stop = null;
        _loop = null;
        _throttle = null;
    }
}
