namespace AgentOps.Operator.Local;

public enum SupervisorEventKind { Started, Exited, Restarting, GaveUp }

/// <summary>Something that happened to a child, kept for the progress display and the final summary.</summary>
public sealed record SupervisorEvent(DateTimeOffset Time, string Child, SupervisorEventKind Kind, int? ExitCode, string Message);
