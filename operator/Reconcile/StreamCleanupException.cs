namespace AgentOps.Operator.Reconcile;

/// <summary>The finalizer could not delete a run's Redis stream yet; the controller retries with backoff.</summary>
public sealed class StreamCleanupException(string message, Exception inner) : Exception(message, inner);
