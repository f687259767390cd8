namespace AgentOps.Testing.Manifests;

/// <summary>The reference TrainingRun manifest (every field set) and a minimal one: the input of the parsing,
/// validation and golden-manifest tests.</summary>
public static class ManifestSamples
{
    public const string Full = """
        apiVersion: agentops.dev/v1alpha1
        kind: TrainingRun
        metadata: { name: arithmetic-grpo, namespace: default }
        spec:
          environment:
            name: arithmetic            # arithmetic | countdown | tools | multihop-qa | cat
            seed: 1
            tasksPerStep: 8             # prompts per RL step (each sampled groupSize times)
            interpreter: true           # false: text-only answers (the ReTool comparison)
            settings: { minOps: "2", maxOps: "4" }   # environment-specific generator knobs (string map)
            eval: { tasks: 200, seed: 100000 }
          agent: { maxTurns: 4, maxNewTokens: 96, maxContextTokens: 512, temperature: 1.0, topP: 1.0 }
          policy:
            preset: tiny                # tiny | small
            checkpoint: ""              # start from this checkpoint folder instead of random init
            sft: { enabled: true, steps: 300, batchSize: 32, learningRate: 3e-3 }
          algorithm:
            name: grpo                  # grpo | reinforce++ | ppo | sft
            steps: 100
            groupSize: 8
            learningRate: 1e-3
            warmupSteps: 10
            klCoef: 0.0
            clipRange: 0.2
            maxStaleness: 1
            groupFilter: true           # drop groups whose rewards are all equal (DAPO dynamic sampling)
            ppo: { valueCoef: 0.5, gamma: 1.0, lambda: 0.95 }
          sandbox:
            poolRef: ""                 # an existing SandboxPool; else the inline pool below
            runtime: gvisor             # gvisor | process
            replicas: 2                 # executor processes / pods
            warmPerReplica: 2
            limits: { memoryMiB: 256, cpus: 1, pids: 64, cellTimeoutSeconds: 5, episodeTimeoutSeconds: 60, outputBytes: 65536 }
          trainer: { image: "", resources: { cpu: "2", memory: 4Gi, gpu: 0 } }
          queue: { redisUrl: "", maxBacklog: 10000, maxLength: 100000 }
          checkpoint: { everySteps: 50, keep: 3 }
          export: { sftJsonl: false, minReward: 1.0 }
          suspend: false
        """;

    public const string Minimal = """
        apiVersion: agentops.dev/v1alpha1
        kind: TrainingRun
        metadata: { name: tiny }
        spec:
          environment: { name: countdown }
        """;

    /// <summary>The minimal manifest with <paramref name="specYaml"/> (indented two spaces, under spec) appended.</summary>
    public static string MinimalWith(string specYaml) =>
        Minimal + "\n" + string.Join("\n", specYaml.Split('\n').Select(l => "  " + l));
}
