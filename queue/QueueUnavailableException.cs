namespace AgentOps.Queue;

/// <summary>
/// The queue's store could not be reached or did not answer in time (Redis down, restarting, overloaded).
/// Whether the operation took effect is unknown: retry it (appends are idempotent by trajectory id).
/// The gateway answers UNAVAILABLE for it.
/// </summary>
public sealed class QueueUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
