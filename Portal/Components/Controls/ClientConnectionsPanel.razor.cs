using Microsoft.AspNetCore.Components;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;

namespace QuorumPortal.Portal.Components.Controls;

/// <summary>
/// One member's client connections, asked of its backend (<see cref="ProbeDetail.Clients"/>) when the panel opens and
/// every <see cref="RefreshInterval"/> while it stays open. The monitor's rounds never list them: a ZooKeeper
/// member's list (<c>cons</c>, or the AdminServer's <c>connections</c>) grows with its clients, so only someone looking
/// pays for it, one probe per open panel per interval.
/// </summary>
public sealed partial class ClientConnectionsPanel : ComponentBase, IAsyncDisposable
{
    /// <summary>How often an open panel reads the connections again.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stop = new();
    private CancellationTokenSource? _run;
    private Task _refresh = Task.CompletedTask;
    private MemberStatus? _status;
    private (string Ensemble, int ServerId)? _reading;

    /// <summary>Name of the member's ensemble. Required.</summary>
    [Parameter, EditorRequired]
    public string Ensemble { get; set; } = "";

    /// <summary>The member's server id. Required.</summary>
    [Parameter, EditorRequired]
    public int ServerId { get; set; }

    [Inject]
    private EnsembleRegistry Registry { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    protected override void OnParametersSet()
    {
        if (_reading == (Ensemble, ServerId))
        {
            return;
        }

        // First shown, or another member on the same page instance (a link from one member to another): read it now.
        _reading = (Ensemble, ServerId);
        _status = null;
        _run?.Cancel();
        _run = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        _refresh = RefreshAsync(_refresh, _reading.Value, _run, _run.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _refresh;
        _stop.Dispose();
    }

    private async Task RefreshAsync(Task previous, (string Ensemble, int ServerId) member, CancellationTokenSource run, CancellationToken cancellationToken)
    {
        await previous; // never two readers; the previous one has been cancelled
        using (run)
        using (var timer = new PeriodicTimer(RefreshInterval, Time))
        {
            try
            {
                do
                {
                    var status = await ReadAsync(member.Ensemble, member.ServerId, cancellationToken);
                    await InvokeAsync(() =>
                    {
                        if (!cancellationToken.IsCancellationRequested)
                        {
                            _status = status;
                            StateHasChanged();
                        }
                    });
                }
                while (await timer.WaitForNextTickAsync(cancellationToken));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (ObjectDisposedException) when (cancellationToken.IsCancellationRequested)
            {
                // The circuit went away while a render was being queued.
            }
        }
    }

    private async Task<MemberStatus> ReadAsync(string ensemble, int serverId, CancellationToken cancellationToken)
    {
        if (!Registry.TryGet(ensemble, out var registered))
        {
            return MemberStatus.Down(serverId, Time.GetUtcNow(), "no such ensemble") with { ClientsError = $"no ensemble named {ensemble} runs" };
        }

        try
        {
            return await registered.Backend.ProbeAsync(serverId, ProbeDetail.Clients, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The backend is stopping (or the member was just removed): say so and try again on the next tick.
            return MemberStatus.Down(serverId, Time.GetUtcNow(), e.Message) with { ClientsError = e.Message };
        }
    }
}
