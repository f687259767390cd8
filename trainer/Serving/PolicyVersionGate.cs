namespace AgentOps.Trainer.Serving;

/// <summary>
/// The policy version and a reader/writer gate around the weights: a generation batch holds the read side for
/// its whole length, an update (optimizer step + version bump) holds the write side, so no response ever mixes
/// two versions and the version a response reports is the one whose weights produced every token.
/// ReaderWriterLockSlim blocks new readers while a writer waits, so updates are not starved by a busy server.
/// </summary>
public sealed class PolicyVersionGate(long initialVersion) : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private long _version = initialVersion;

    public long Version => Interlocked.Read(ref _version);

    /// <summary>An update is waiting for the generation in flight to end (a long generation should wind down).</summary>
    public bool UpdateWaiting => _lock.WaitingWriteCount > 0;

    /// <summary>Runs <paramref name="read"/> with the weights fixed; it receives the version they hold.</summary>
    public T Read<T>(Func<long, T> read)
    {
        _lock.EnterReadLock();
        try
        {
            return read(Interlocked.Read(ref _version));
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Changes the weights with no generation in flight, then publishes the next version. Returns it.</summary>
    public long Update(Action change)
    {
        _lock.EnterWriteLock();
        try
        {
            change();
            return Interlocked.Increment(ref _version);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Sets the version (restoring a checkpoint) with no generation in flight.</summary>
    public void Reset(long version, Action change)
    {
        _lock.EnterWriteLock();
        try
        {
            change();
            Interlocked.Exchange(ref _version, version);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public void Dispose() => _lock.Dispose();
}
