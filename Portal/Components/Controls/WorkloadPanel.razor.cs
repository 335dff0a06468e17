using System.Globalization;
using Microsoft.AspNetCore.Components;
using QuorumPortal.Engine.Ensembles;
using QuorumPortal.Engine.Workloads;

namespace QuorumPortal.Portal.Components.Controls;

/// <summary>
/// Starts and stops the background workload of one ensemble and shows its counters. The workload belongs to the
/// <see cref="WorkloadManager"/>, not to the panel: closing the page leaves it running, and a panel opened later (or
/// on another page) shows it. The form is checked with <see cref="WorkloadSpec.Validate"/> and each broken rule is
/// shown under its field; nothing starts until every field is valid. The panel re-reads the status on the manager's
/// <see cref="WorkloadManager.Changed"/> and, while a workload is active, every <see cref="RefreshInterval"/>.
/// </summary>
public sealed partial class WorkloadPanel : ComponentBase, IAsyncDisposable
{
    /// <summary>How often the counters are re-read while a workload is active.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(500);

    private const string RateField = "operationsPerSecond";
    private const string WriteField = "writeFraction";
    private const string ValueSizeField = "valueSize";
    private const string SessionsField = "sessions";
    private const string KeysField = "keys";
    private static readonly string[] FormFields = [RateField, WriteField, ValueSizeField, SessionsField, KeysField];
    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    private readonly CancellationTokenSource _stop = new();
    private readonly WorkloadForm _form = new();
    private Dictionary<string, List<string>> _fieldErrors = [];
    private List<string> _generalErrors = [];
    private WorkloadStatus? _status;
    private string? _shown;
    private bool _deleteKeySpace;
    private bool _busy;
    private Task? _refresh;

    /// <summary>Name of the ensemble whose workload the panel runs. Required.</summary>
    [Parameter, EditorRequired]
    public string Ensemble { get; set; } = "";

    [Inject]
    private WorkloadManager Workloads { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    private bool IsActive => _status?.IsActive == true;

    private string StateText => _status switch
    {
        null => "not running",
        { State: WorkloadState.Stopped } => "stopped",
        { State: var state } => state.ToString().ToLowerInvariant(),
    };

    private string StateClass => _status?.State switch
    {
        WorkloadState.Running => "running",
        WorkloadState.Starting or WorkloadState.Stopping => "changing",
        WorkloadState.Failed => "failed",
        _ => "idle",
    };

    protected override void OnInitialized()
    {
        Workloads.Changed += OnWorkloadChanged;
        _refresh = RefreshAsync(_stop.Token);
    }

    protected override void OnParametersSet()
    {
        if (_shown == Ensemble)
        {
            return;
        }

        _shown = Ensemble;
        _fieldErrors = [];
        _generalErrors = [];
        Load();
        _form.From(_status?.Spec ?? new WorkloadSpec());
    }

    public async ValueTask DisposeAsync()
    {
        Workloads.Changed -= OnWorkloadChanged;
        await _stop.CancelAsync();
        if (_refresh is not null)
        {
            await _refresh;
        }

        _stop.Dispose();
    }

    private void Start()
    {
        _generalErrors = [];

        // A field that does not hold a number cannot be started with; its own error says so under it.
        var unreadable = _form.Fields.Where(f => f.NotANumber).ToList();
        if (unreadable.Count > 0)
        {
            foreach (var field in unreadable)
            {
                _fieldErrors.Remove(field.Field);
            }

            _generalErrors = [$"Not started: {string.Join(" and ", unreadable.Select(f => f.What))} {(unreadable.Count == 1 ? "is" : "are")} not a number."];
            return;
        }

        var spec = _form.ToSpec();
        var errors = spec.Validate();
        if (errors.Count > 0)
        {
            ShowErrors(errors);
            return;
        }

        _fieldErrors = [];
        try
        {
            _status = Workloads.Start(Ensemble, spec);
        }
        catch (WorkloadConflictException e)
        {
            _generalErrors = [e.Message];
            Load();
        }
        catch (ValidationException e)
        {
            ShowErrors(e.Errors);
        }
        catch (Exception e) when (e is KeyNotFoundException or ObjectDisposedException)
        {
            _generalErrors = [e is ObjectDisposedException ? "The portal is stopping; no workload can start." : e.Message];
        }
    }

    private async Task StopAsync()
    {
        _busy = true;
        _generalErrors = [];
        try
        {
            // Waits for requests in flight and, when asked, the key space's deletion.
            if (await Workloads.StopAsync(Ensemble, _deleteKeySpace, _stop.Token) is null)
            {
                _generalErrors = [$"No workload is running on {Ensemble}."];
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }
        finally
        {
            _busy = false;
        }

        Load();
    }

    private void ShowErrors(IEnumerable<ValidationError> errors)
    {
        _fieldErrors = errors.Where(e => FormFields.Contains(e.Field)).GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Rule).ToList());

        // Rules on fields the form does not show (the root path, from a spec set through the API) go above the counters.
        _generalErrors = [.. errors.Where(e => !FormFields.Contains(e.Field)).Select(e => e.ToString())];
    }

    private void Load() => _status = Workloads.TryGet(Ensemble, out var status) ? status : null;

    private void OnWorkloadChanged(string ensemble)
    {
        if (ensemble != Ensemble)
        {
            return;
        }

        _ = InvokeAsync(() =>
        {
            Load();
            StateHasChanged();
        });
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (IsActive)
                {
                    await InvokeAsync(() =>
                    {
                        Load();
                        StateHasChanged();
                    });
                }
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

    private string? ErrorFor(FormField field) =>
        field.NotANumber ? "Not a valid number" : _fieldErrors.TryGetValue(field.Field, out var rules) ? string.Join("; ", rules) : null;

    private static RenderFragment Icon(string svg) => builder =>
    {
        builder.OpenElement(0, "svg");
        builder.AddAttribute(1, "class", "mud-icon-root mud-svg-icon mud-icon-size-medium qp-button-icon");
        builder.AddAttribute(2, "viewBox", "0 0 24 24");
        builder.AddAttribute(3, "aria-hidden", "true");
        builder.AddMarkupContent(4, svg);
        builder.CloseElement();
    };

    private string InputId(string field) => $"workload-{Ensemble}-{field}";

    private string Clock(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Time.LocalTimeZone).ToString("HH:mm:ss", Culture);

    private static string Seconds(TimeSpan window) => window.TotalSeconds.ToString("0.#", Culture);

    private static string Latency(TimeSpan? latency) => latency is { } l
        ? l.TotalMilliseconds < 10 ? l.TotalMilliseconds.ToString("0.00", Culture) + " ms" : l.TotalMilliseconds.ToString("N0", Culture) + " ms"
        : "—";

    private static string ErrorBreakdown(WorkloadStatus status) =>
        string.Join(", ", status.ErrorsByCode.OrderByDescending(e => e.Value).Select(e => $"{e.Key} {e.Value}")
            .Concat(status.OtherErrors > 0 ? [$"other {status.OtherErrors}"] : []));

    /// <summary>One number the form asks for, as typed; <see cref="NotANumber"/> when the text does not parse.</summary>
    private sealed class FormField(string name, string id, string label, string what, bool fraction)
    {
        /// <summary>The spec's field name, as <see cref="WorkloadSpec.Validate"/> reports it.</summary>
        public string Field => name;

        public string Id => id;

        public string Label => label;

        /// <summary>The field in a sentence ("the write share").</summary>
        public string What => what;

        public string Text { get; private set; } = "";

        public bool NotANumber { get; private set; }

        public double Value { get; private set; }

        public void Set(string? text)
        {
            Text = text?.Trim() ?? "";
            var styles = fraction ? NumberStyles.Float | NumberStyles.AllowThousands : NumberStyles.Integer | NumberStyles.AllowThousands;
            NotANumber = !double.TryParse(Text, styles, Culture, out var value) || (!fraction && (value < int.MinValue || value > int.MaxValue));
            if (!NotANumber)
            {
                Value = value;
            }
        }

        public void Set(double value) => Set(value.ToString(fraction ? "0.##" : "0", Culture));
    }

    /// <summary>What the form holds: the spec's fields as typed, the write share as a percentage.</summary>
    private sealed class WorkloadForm
    {
        private readonly FormField _rate = new(RateField, "rate", "Rate (ops/s)", "the rate", fraction: false);
        private readonly FormField _writes = new(WriteField, "writes", "Writes (%)", "the write share", fraction: true);
        private readonly FormField _valueSize = new(ValueSizeField, "value-size", "Value size (bytes)", "the value size", fraction: false);
        private readonly FormField _sessions = new(SessionsField, "sessions", "Sessions", "the number of sessions", fraction: false);
        private readonly FormField _keys = new(KeysField, "keys", "Keys", "the number of keys", fraction: false);

        public WorkloadForm() => Fields = [_rate, _writes, _valueSize, _sessions, _keys];

        public IReadOnlyList<FormField> Fields { get; }

        public string RootPath { get; private set; } = WorkloadSpec.DefaultRootPath;

        public void From(WorkloadSpec spec)
        {
            _rate.Set(spec.OperationsPerSecond);
            _writes.Set(spec.WriteFraction * 100);
            _valueSize.Set(spec.ValueSize);
            _sessions.Set(spec.Sessions);
            _keys.Set(spec.Keys);
            RootPath = spec.RootPath;
        }

        public WorkloadSpec ToSpec() => new()
        {
            OperationsPerSecond = (int)_rate.Value,
            WriteFraction = _writes.Value / 100,
            ValueSize = (int)_valueSize.Value,
            Sessions = (int)_sessions.Value,
            Keys = (int)_keys.Value,
            RootPath = RootPath,
        };
    }
}
