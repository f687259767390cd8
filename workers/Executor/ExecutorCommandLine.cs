using System.Globalization;

namespace AgentOps.Workers.Executor;

/// <summary>
/// `agentops-workers executor` flags (TEAM.md contract, plus additive ones):
///   --manifest FILE            the TrainingRun (required)
///   --policy URL|scripted      the trainer's gRPC Policy address, an OpenAI-compatible base URL (with
///                              --policy-api openai), or "scripted" (reference solutions); default scripted
///   --policy-api grpc|openai   how to talk to --policy URL; default grpc
///   --model NAME               model name for --policy-api openai (key from $OPENAI_API_KEY)
///   --gateway URL              TrajectoryIngest address (train, or eval without --results)
///   --token TOKEN              bearer token for the gateway and policy (default $AGENTOPS_TOKEN)
///   --metrics-port N           serve /metrics, /healthz, /readyz on N (0 = any free port; absent = none)
///   --split train|eval         default train
///   --episodes N               eval: tasks to run (default spec.environment.eval.tasks); train without a
///                              gRPC policy: episodes to run
///   --results FILE             eval: per-episode results as JSONL instead of pushing
///   --concurrency K            episodes in flight (default spec.sandbox.warmPerReplica, at least 1)
///   --executor NAME            default $POD_NAME, else the host name
///   --runtime gvisor|process   override spec.sandbox.runtime (default $AGENTOPS_SANDBOX_RUNTIME when set,
///                              which the operator's SandboxPool pods carry)
///   --allow-fallback           with gvisor and no usable runsc, fall back to process (with a warning)
///   --tools-dir DIR            where the tool modules and their data are written (default a temp folder)
///   --recover-rate R           fraction of scripted demonstrations with a mistake and a recovery (0.25)
///   --sft-export FILE          also write kept trajectories as SFT JSONL (spec.export.minReward), whatever
///                              spec.export.sftJsonl says
///   --export-dir DIR           where spec.export.sftJsonl: true puts this executor's SFT JSONL,
///                              DIR/sft-{executor}.jsonl (one writer per file; `agentops run` merges them)
/// Only the policy's own RL episodes (split train) are exported: never scripted demonstrations, and never
/// held-out episodes, so both export flags are refused with --split eval.
/// </summary>
public sealed record ExecutorCommandLine(
    string Manifest,
    string Policy = "scripted",
    string PolicyApi = "grpc",
    string? Model = null,
    string? Gateway = null,
    string? Token = null,
    int? MetricsPort = null,
    string Split = "train",
    int? Episodes = null,
    string? Results = null,
    int? Concurrency = null,
    string? Executor = null,
    string? Runtime = null,
    bool AllowFallback = false,
    string? ToolsDir = null,
    double RecoverRate = 0.25,
    string? SftExport = null,
    string? ExportDir = null)
{
    public static ExecutorCommandLine Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>();
        var flags = new HashSet<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"executor: unexpected argument '{a}'");
            var eq = a.IndexOf('=');
            if (eq > 0) { values[a[2..eq]] = a[(eq + 1)..]; continue; }
            var name = a[2..];
            if (name is "allow-fallback") { flags.Add(name); continue; }
            if (i + 1 >= args.Count) throw new ArgumentException($"--{name}: needs a value");
            values[name] = args[++i];
        }
        string? S(string k) => values.Remove(k, out var v) ? v : null;
        int? I(string k) => S(k) is { } v ? int.TryParse(v, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"--{k}: must be an integer, got '{v}'") : null;
        var manifest = S("manifest") ?? throw new ArgumentException("--manifest: required");
        var recover = S("recover-rate");
        var result = new ExecutorCommandLine(
            manifest,
            Policy: S("policy") ?? "scripted",
            PolicyApi: S("policy-api") ?? "grpc",
            Model: S("model"),
            Gateway: S("gateway"),
            Token: S("token") ?? Environment.GetEnvironmentVariable("AGENTOPS_TOKEN"),
            MetricsPort: I("metrics-port"),
            Split: S("split") ?? "train",
            Episodes: I("episodes"),
            Results: S("results"),
            Concurrency: I("concurrency"),
            Executor: S("executor"),
            Runtime: S("runtime") ?? (Environment.GetEnvironmentVariable("AGENTOPS_SANDBOX_RUNTIME") is { Length: > 0 } envRuntime ? envRuntime : null),
            AllowFallback: flags.Contains("allow-fallback"),
            ToolsDir: S("tools-dir"),
            RecoverRate: recover is null ? 0.25 : double.TryParse(recover, CultureInfo.InvariantCulture, out var r) ? r : throw new ArgumentException($"--recover-rate: must be a number, got '{recover}'"),
            SftExport: S("sft-export"),
            ExportDir: S("export-dir"));
        if (values.Count > 0) throw new ArgumentException($"executor: unknown flag --{values.Keys.First()}");
        if (result.PolicyApi is not ("grpc" or "openai")) throw new ArgumentException($"--policy-api: must be grpc or openai, got '{result.PolicyApi}'");
        if (result.Split is not ("train" or "eval")) throw new ArgumentException($"--split: must be train or eval, got '{result.Split}'");
        if (result.Split == "eval" && (result.SftExport ?? result.ExportDir) is { } export)
            throw new ArgumentException($"--{(result.SftExport is null ? "export-dir" : "sft-export")}: held-out (eval) episodes are never exported as training data, got '{export}' with --split eval");
        if (result.Results is null && result.Gateway is null)
            throw new ArgumentException("--gateway: required unless --results FILE is given (eval)");
        return result;
    }
}
