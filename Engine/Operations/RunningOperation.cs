namespace QuorumPortal.Engine.Operations;

/// <summary>
/// An operation in flight: its newest record, its cancellation, its task, and a saver that writes the newest
/// record to the journal — one save at a time, skipping records a newer one replaced while a save ran.
/// </summary>
internal sealed class RunningOperation(OperationRecord record, CancellationTokenSource cancellation) : IDisposable
{
    private readonly Lock _saveGate = new();
    private OperationRecord? _unsaved;
    private Task _saving = Task.CompletedTask;
    private bool _draining;
    private volatile OperationRecord _record = record;

    public OperationRecord Record
    {
        get => _record;
        set => _record = value;
    }

    public CancellationTokenSource Cancellation { get; } = cancellation;

    public Task<OperationRecord> Completion { get; set; } = Task.FromResult(record);

    public void QueueSave(IOperationJournal journal, OperationRecord newest)
    {
        lock (_saveGate)
        {
            _unsaved = newest;
            if (!_draining)
            {
                _draining = true;
                _saving = Task.Run(() => DrainAsync(journal));
            }
        }
    }

    /// <summary>Waits until the newest record is in the journal.</summary>
    public async Task FlushAsync(IOperationJournal journal)
    {
        Task saving;
        lock (_saveGate)
        {
            saving = _saving;
        }

        await saving.ConfigureAwait(false);
        await journal.SaveAsync(Record, CancellationToken.None).ConfigureAwait(false);
    }

    public void Dispose() => Cancellation.Dispose();

    private async Task DrainAsync(IOperationJournal journal)
    {
        while (true)
        {
            OperationRecord next;
            lock (_saveGate)
            {
                if (_unsaved is null)
                {
                    _draining = false;
                    return;
                }

                next = _unsaved;
                _unsaved = null;
            }

            try
            {
                await journal.SaveAsync(next, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A failed intermediate save is retried by the next change or by the final flush, which throws.
            }
        }
    }
}
