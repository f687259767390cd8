namespace AgentOps.Operator.Local;

/// <summary>
/// The parts of a validated TrainingRun that `agentops run` and `agentops eval` act on. Built in one place
/// (<see cref="ManifestLoader"/>) from the shared API types, so the rest of Local/ never parses YAML.
/// </summary>
public sealed record RunManifest(
    string Path,
    string Name,
    string Environment,
    bool Interpreter,
    int EvalTasks,
    long EvalSeed,
    string Runtime,
    int Replicas,
    bool SftEnabled,
    int SftSteps,
    string Algorithm,
    int RlSteps,
    string RedisUrl,
    bool ExportSftJsonl,
    string Preset,
    int QueueMaxBacklog = 10_000,
    int QueueMaxLength = 100_000,
    string Text = "",
    double SftTargetLoss = 0);
