using Microsoft.AspNetCore.Components;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Monitoring;
using QuorumPortal.Engine.Operations;

namespace QuorumPortal.Portal.Components.Pages.Operations;

/// <summary>
/// What every wizard page shares: the ensemble by route name, who asks and why, a preflight on demand, and a
/// start that opens the operation's page, or shows why it was refused. Validation is the Engine's preflight,
/// run here on the server; nothing changes until it passes.
/// </summary>
public abstract class OperationPageBase : ComponentBase
{
    /// <summary>The ensemble's name (route).</summary>
    [Parameter]
    public string Name { get; set; } = "";

    [Inject]
    protected EnsembleRegistry Registry { get; set; } = default!;

    [Inject]
    protected OperationCoordinator Coordinator { get; set; } = default!;

    [Inject]
    protected NavigationManager Navigation { get; set; } = default!;

    [Inject]
    protected TimeProvider Time { get; set; } = default!;

    protected IEnsembleBackend? Backend { get; private set; }

    /// <summary>The ensemble as last probed by this page.</summary>
    protected EnsembleSnapshot? Snapshot { get; private set; }

    /// <summary>Who asks; recorded in the journal and the audit log.</summary>
    protected string RequestedBy { get; set; } = "operator";

    /// <summary>Why; optional, recorded with the operation.</summary>
    protected string? Reason { get; set; }

    protected PreflightReport? Preflight { get; set; }

    /// <summary>Why the last start was refused (busy, or preflight errors).</summary>
    protected string? Refusal { get; set; }

    protected bool Busy { get; private set; }

    /// <summary>The operation already running on this ensemble, if any.</summary>
    protected OperationRecord? Running => Backend is null ? null : Coordinator.InFlight(Backend.Name);

    protected override async Task OnParametersSetAsync()
    {
        Backend = Registry.TryGet(Name, out var registered) ? registered.Backend : null;
        Preflight = null;
        Refusal = null;
        if (Backend is not null)
        {
            await RefreshAsync();
        }
    }

    /// <summary>Probes the ensemble again.</summary>
    protected async Task RefreshAsync()
    {
        if (Backend is not null)
        {
            Snapshot = await Backend.ProbeSnapshotAsync(Time, CancellationToken.None);
        }
    }

    /// <summary>Runs the operation's preflight against a fresh probe and shows it; changes nothing.</summary>
    protected async Task CheckAsync(EnsembleOperation operation)
    {
        if (Backend is null)
        {
            return;
        }

        Busy = true;
        try
        {
            Refusal = null;
            Preflight = await Coordinator.PreflightAsync(Backend, operation, CancellationToken.None);
        }
        finally
        {
            Busy = false;
        }
    }

    /// <summary>Starts the operation; on success opens its page, otherwise shows why nothing changed.</summary>
    protected async Task StartAsync(EnsembleOperation operation)
    {
        if (Backend is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(RequestedBy))
        {
            Refusal = "Say who you are: the journal and the audit log record it.";
            return;
        }

        Busy = true;
        try
        {
            var start = await Coordinator.StartAsync(Backend, operation, new OperationRequest(RequestedBy.Trim(), string.IsNullOrWhiteSpace(Reason) ? null : Reason.Trim()), CancellationToken.None);
            if (start.Started)
            {
                Navigation.NavigateTo($"operations/{start.Record.Id}");
                return;
            }

            Refusal = start.Message;
            Preflight = start.Record.Preflight.Count > 0 ? new PreflightReport(start.Record.Preflight, [.. start.Record.Steps.Select(s => s.Name)]) : Preflight;
        }
        finally
        {
            Busy = false;
        }
    }
}
