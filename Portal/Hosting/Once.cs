namespace QuorumPortal.Portal.Hosting;

/// <summary>
/// Runs an action once; every caller, concurrent or later, awaits that one run. The host may stop its services twice
/// at once (WebApplicationFactory's dispose and the app's own shutdown wait both call Host.StopAsync), and a second
/// stop that returned early would let the container be disposed under the first.
/// </summary>
internal sealed class Once
{
    private readonly Lock _gate = new();
    private Task? _run;

    public Task RunAsync(Func<Task> action)
    {
        lock (_gate)
        {
            return _run ??= action();
        }
    }
}
