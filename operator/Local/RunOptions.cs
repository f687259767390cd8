namespace AgentOps.Operator.Local;

/// <summary>What the user asked `agentops run` for on the command line (defaults applied in Program.cs).</summary>
/// <param name="Redis">Empty: the in-process queue hosted by the trainer. "auto": start a local redis-server.</param>
/// <param name="Executors">Executor processes; 0 means the manifest's <c>spec.sandbox.replicas</c>.</param>
/// <param name="Resume">Require a checkpoint to resume from (a run folder with one resumes anyway).</param>
/// <param name="Evaluate">Evaluate untrained / SFT / RL checkpoints on held-out tasks at the end.</param>
/// <param name="Compare">Also train and evaluate the text-only twin (the ReTool comparison).</param>
public sealed record RunOptions(
    string ManifestPath,
    string Redis = "",
    string RunDir = "",
    int Executors = 0,
    bool Resume = false,
    bool Evaluate = true,
    bool Compare = false,
    int EvalTasks = 0);
