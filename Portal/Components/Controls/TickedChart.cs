using Microsoft.AspNetCore.Components;
using QuorumPortal.Portal.History;

namespace QuorumPortal.Portal.Components.Controls;

/// <summary>
/// A chart that redraws on its own clock: a <see cref="PeriodicTimer"/> ticks every <see cref="TickInterval"/>, and a
/// tick that finds the shared <see cref="EnsembleHistory"/> changed (<see cref="Refresh"/>) redraws once, however many
/// samples arrived since. A parent's render does not redraw it (<see cref="ShouldRender"/>), so charts cost at most
/// four renders a second whatever else the page does.
/// </summary>
public abstract class TickedChart : ComponentBase, IAsyncDisposable
{
    /// <summary>At most one redraw per tick.</summary>
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop = new();
    private Task? _ticker;
    private EnsembleHistory? _source;
    private int? _sourceMember;
    private bool _dirty = true;

    /// <summary>The history to chart; null shows no samples. Default null.</summary>
    [Parameter]
    public EnsembleHistory? History { get; set; }

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    /// <summary>Ticks handled so far, the redraws they caused, and renders in all; tests read them.</summary>
    internal int Ticks { get; private set; }

    internal int TickRedraws { get; private set; }

    internal int Renders { get; private set; }

    /// <summary>A member's server id to chart, or null for the whole ensemble.</summary>
    protected virtual int? Member => null;

    /// <summary>While true, ticks redraw nothing.</summary>
    protected bool Paused { get; set; }

    protected override void OnInitialized() => _ticker = TickAsync(_stop.Token);

    protected override void OnParametersSet()
    {
        if (!ReferenceEquals(History, _source) || Member != _sourceMember)
        {
            _source = History;
            _sourceMember = Member;
            _dirty |= Refresh(_source, _sourceMember, sourceChanged: true);
        }
    }

    protected override bool ShouldRender() => _dirty;

    protected override void OnAfterRender(bool firstRender)
    {
        _dirty = false;
        Renders++;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_ticker is not null)
        {
            await _ticker;
        }

        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Reads <paramref name="history"/> (the ensemble, or <paramref name="member"/>) if it changed since the last
    /// read, or always when <paramref name="sourceChanged"/>; true when there is something new to draw.
    /// </summary>
    protected abstract bool Refresh(EnsembleHistory? history, int? member, bool sourceChanged);

    /// <summary>Redraw at the next render (an event handler's, or a tick's).</summary>
    protected void Redraw(bool refresh)
    {
        if (refresh)
        {
            Refresh(_source, _sourceMember, sourceChanged: false);
        }

        _dirty = true;
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TickInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await InvokeAsync(() =>
                {
                    Ticks++;
                    if (!Paused && Refresh(_source, _sourceMember, sourceChanged: false))
                    {
                        _dirty = true;
                        TickRedraws++;
                        StateHasChanged();
                    }
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
