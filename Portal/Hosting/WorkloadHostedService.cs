using QuorumPortal.Engine.Workloads;

namespace QuorumPortal.Portal.Hosting;

/// <summary>
/// Stops every workload when the portal stops. Registered after <see cref="EnsembleHostedService"/>, so the host
/// stops it first: workloads end (and close their sessions) while their ensembles still run.
/// </summary>
public sealed class WorkloadHostedService(WorkloadManager workloads) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => workloads.StopAllAsync(cancellationToken);
}
