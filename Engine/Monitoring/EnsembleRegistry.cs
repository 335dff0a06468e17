using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using QuorumPortal.Engine.Backends;
using QuorumPortal.Engine.Events;

namespace QuorumPortal.Engine.Monitoring;

/// <summary>An ensemble the registry owns: its backend and the monitor that probes it.</summary>
public sealed record RegisteredEnsemble(IEnsembleBackend Backend, EnsembleMonitor Monitor)
{
    public string Name => Backend.Name;

    /// <summary>The snapshot-plus-stream fan-out the monitor publishes to.</summary>
    public EnsembleEventStream Events => Monitor.Events;
}

/// <summary>
/// Every ensemble the portal runs, by name, whatever its backend. <see cref="AddAsync"/> takes ownership of a
/// backend, starts it and starts a monitor publishing to <see cref="Streams"/>; <see cref="StopAsync"/> stops
/// monitors first (so no probe races a stopping member), then every backend gracefully.
/// </summary>
public sealed class EnsembleRegistry : IAsyncDisposable
{
    private readonly EnsembleMonitorOptions _monitorOptions;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IMeterFactory? _meterFactory;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private ImmutableDictionary<string, RegisteredEnsemble> _ensembles = ImmutableDictionary.Create<string, RegisteredEnsemble>(StringComparer.Ordinal);
    private bool _stopped;

    public EnsembleRegistry(
        EnsembleEventStreams streams,
        EnsembleMonitorOptions monitorOptions,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        Streams = streams;
        _monitorOptions = monitorOptions.EnsureValid();
        _time = timeProvider;
        _loggerFactory = loggerFactory;
        _meterFactory = meterFactory;
    }

    /// <summary>Where each ensemble's monitor publishes; pages subscribe here by name.</summary>
    public EnsembleEventStreams Streams { get; }

    /// <summary>The registered ensembles, ordered by name.</summary>
    public IReadOnlyList<RegisteredEnsemble> Ensembles => [.. Volatile.Read(ref _ensembles).Values.OrderBy(e => e.Name, StringComparer.Ordinal)];

    public bool TryGet(string name, [NotNullWhen(true)] out RegisteredEnsemble? ensemble) =>
        Volatile.Read(ref _ensembles).TryGetValue(name, out ensemble);

    /// <summary>
    /// Takes ownership of <paramref name="backend"/>: starts its members and a monitor. If either fails, the
    /// backend is stopped and disposed and the exception propagates. A second ensemble of the same name, or any
    /// ensemble after <see cref="StopAsync"/>, is refused and stays the caller's to dispose.
    /// </summary>
    public async Task<RegisteredEnsemble> AddAsync(IEnsembleBackend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_ensembles.ContainsKey(backend.Name))
            {
                throw new InvalidOperationException($"An ensemble named '{backend.Name}' is already registered.");
            }

            var monitor = new EnsembleMonitor(
                backend,
                _monitorOptions,
                _time,
                _loggerFactory.CreateLogger<EnsembleMonitor>(),
                Streams.GetOrAdd(backend.Name),
                _meterFactory);
            try
            {
                await backend.StartAsync(cancellationToken).ConfigureAwait(false);
                await monitor.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await monitor.DisposeAsync().ConfigureAwait(false);
                await backend.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            var registered = new RegisteredEnsemble(backend, monitor);
            Volatile.Write(ref _ensembles, _ensembles.Add(backend.Name, registered));
            return registered;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops every monitor, then stops every backend gracefully and disposes it. Later adds are refused.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            var ensembles = _ensembles.Values.ToList();
            await Task.WhenAll(ensembles.Select(e => e.Monitor.DisposeAsync().AsTask())).ConfigureAwait(false);
            await Task.WhenAll(ensembles.Select(e => StopBackendAsync(e.Backend, cancellationToken))).ConfigureAwait(false);
            Volatile.Write(ref _ensembles, _ensembles.Clear());
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private static async Task StopBackendAsync(IEnsembleBackend backend, CancellationToken cancellationToken)
    {
        try
        {
            await backend.StopAsync(StopMode.Graceful, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // A cancelled graceful stop still releases the members' threads and files.
            await backend.DisposeAsync().ConfigureAwait(false);
        }
    }
}
