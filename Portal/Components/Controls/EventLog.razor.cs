using Microsoft.AspNetCore.Components;
using QuorumPortal.Engine.Events;
using QuorumPortal.Portal.History;
using QuorumPortal.Portal.Model;

namespace QuorumPortal.Portal.Components.Controls;

/// <summary>An event log: the events a page keeps, newest first, filtered by kind and by member.</summary>
public sealed partial class EventLog : ComponentBase
{
    private readonly HashSet<EnsembleEventKind> _kinds = [.. EventView.LoggedKinds];
    private int? _member;
    private EnsembleEvent[] _view = [];
    private long _viewVersion = -1;
    private bool _filterChanged = true;

    /// <summary>The events, oldest first; the owner adds to it and bumps <see cref="Version"/>. Required.</summary>
    [Parameter, EditorRequired]
    public RingBuffer<EnsembleEvent> Events { get; set; } = null!;

    /// <summary>Changes whenever <see cref="Events"/> does, so the filtered view is rebuilt only then. Default 0.</summary>
    [Parameter]
    public long Version { get; set; }

    /// <summary>Server ids offered as member filters; empty hides the member filter. Default none.</summary>
    [Parameter]
    public IReadOnlyList<int> Members { get; set; } = [];

    private void ToggleKind(EnsembleEventKind kind)
    {
        if (!_kinds.Remove(kind))
        {
            _kinds.Add(kind);
        }

        _filterChanged = true;
    }

    private void SelectMember(int? serverId)
    {
        _member = serverId;
        _filterChanged = true;
    }

    private EnsembleEvent[] View()
    {
        if (!_filterChanged && _viewVersion == Version)
        {
            return _view;
        }

        var view = new List<EnsembleEvent>(Events.Count);
        for (var i = Events.Count - 1; i >= 0; i--)
        {
            var e = Events[i];
            if (_kinds.Contains(e.Kind) && (_member is not int id || EventView.Involves(e, id)))
            {
                view.Add(e);
            }
        }

        _view = [.. view];
        _viewVersion = Version;
        _filterChanged = false;
        return _view;
    }
}
