// Quorum Portal: starts Blazor with a reconnection policy suited to a dashboard left open on a wall, and shows
// Blazor's reconnection states in the #qp-connection-banner element (Blazor adds components-reconnect-* classes
// to the element named by dialogId and raises components-reconnect-state-changed on it).
(() => {
  const bannerId = 'qp-connection-banner';

  // A blip comes back within the first seconds, so retry every second at first; after that every 2 s, then
  // every 5 s, and never give up: the page must recover by itself when the server returns.
  const retryIntervalMilliseconds = attempt => attempt < 10 ? 1000 : attempt < 30 ? 2000 : 5000;

  const banner = document.getElementById(bannerId);
  if (banner) {
    banner.addEventListener('components-reconnect-state-changed', event => {
      // The server no longer knows this circuit (it restarted): a fresh page is the only way back.
      if (event.detail.state === 'rejected' || event.detail.state === 'resume-failed') {
        location.reload();
      }
    });
    banner.querySelector('[data-qp-reconnect]')?.addEventListener('click', async () => {
      if (!(await Blazor.reconnect()) && !(await Blazor.resumeCircuit())) {
        location.reload();
      }
    });
    banner.querySelector('[data-qp-resume]')?.addEventListener('click', async () => {
      if (!(await Blazor.resumeCircuit())) {
        location.reload();
      }
    });
  }

  Blazor.start({
    circuit: {
      // The server pings every 5 s; silence for 12 s means the connection is gone (SignalR's default is 30 s).
      configureSignalR: builder => builder.withServerTimeout(12000),
      reconnectionOptions: {
        dialogId: bannerId,
        maxRetries: Number.POSITIVE_INFINITY,
        retryIntervalMilliseconds,
      },
    },
  });
})();
