// agentops-trainer: consumes trajectories, updates the policy, serves Policy.Generate (TEAM.md, "Trainer").
using System.Runtime.InteropServices;
using AgentOps.Protos.Api;
using AgentOps.Trainer.Engine;
using AgentOps.Trainer.Training;
using Microsoft.Extensions.Logging;

const string Usage = """
usage: agentops-trainer --manifest FILE [--run-dir DIR] [--grpc-port N] [--metrics-port N] [--redis URL]
                        [--token TOKEN] [--linger-seconds N]
       agentops-trainer --manifest FILE --serve-only [--checkpoint DIR] [--grpc-port N] [--metrics-port N]
  --manifest FILE      TrainingRun manifest (agentops.dev/v1alpha1)
  --run-dir DIR        metrics.jsonl and checkpoints/ go here (default runs/<metadata.name>)
  --grpc-port N        Policy (+ embedded TrajectoryIngest without --redis); 0 picks a free port (default 50051)
  --metrics-port N     HTTP /metrics /healthz /readyz /status; 0 picks a free port (default 9100)
  --redis URL          consume from Redis Streams instead of the in-process queue + embedded ingest
  --token TOKEN        bearer token the embedded ingest requires (default $AGENTOPS_INGEST_TOKEN)
  --serve-only         serve --checkpoint DIR's policy for evaluation; no training. Without --checkpoint:
                       the policy training starts from (spec.policy.checkpoint, else the seeded random init)
  --linger-seconds N   keep serving phase "done" this long after the last step (default 10)
  --max-filtered-batches N  with spec.algorithm.groupFilter: step anyway after N batches' worth of groups in a
                       row had all-equal rewards (default 3; 0 waits forever)
""";

string? manifestPath = null, runDir = null, redis = null, checkpoint = null;
var token = Environment.GetEnvironmentVariable("AGENTOPS_INGEST_TOKEN") ?? "";
int grpcPort = 50051, metricsPort = 9100;
double linger = 10;
var maxFilteredBatches = 3;
var serveOnly = false;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]}: needs a value");
        int Int(string flag, string v) => int.TryParse(v, out var n) && n >= 0 ? n : throw new ArgumentException($"{flag}: must be a non-negative integer, got '{v}'");
        switch (args[i])
        {
            case "--manifest": manifestPath = Next(); break;
            case "--run-dir": runDir = Next(); break;
            case "--grpc-port": grpcPort = Int("--grpc-port", Next()); break;
            case "--metrics-port": metricsPort = Int("--metrics-port", Next()); break;
            case "--redis": redis = Next(); break;
            case "--token": token = Next(); break;
            case "--checkpoint": checkpoint = Next(); break;
            case "--serve-only": serveOnly = true; break;
            case "--linger-seconds": linger = Int("--linger-seconds", Next()); break;
            case "--max-filtered-batches": maxFilteredBatches = Int("--max-filtered-batches", Next()); break;
            case "-h" or "--help": Console.WriteLine(Usage); return 0;
            default: throw new ArgumentException($"unknown argument '{args[i]}'");
        }
    }
    if (manifestPath is null) throw new ArgumentException("--manifest: required");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"agentops-trainer: {e.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}

TrainingRun manifest;
try
{
    manifest = Manifests.LoadTrainingRun(manifestPath);
}
catch (Exception e) when (e is ManifestException or IOException)
{
    Console.Error.WriteLine($"agentops-trainer: {e.Message}");
    return 2;
}

using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Information));
var log = loggers.CreateLogger("agentops.trainer");
try
{
    // spec.trainer.device: "cuda" where no GPU is usable stops here, saying why.
    TorchStartup.Run(log, TorchDevices.Resolve(manifest.Spec.Trainer.Device));
}
catch (Exception e) when (e is TorchLoadException or ArgumentException)
{
    Console.Error.WriteLine($"agentops-trainer: {e.Message}");
    return 1;
}

var options = ManifestOptions.From(manifest, new TrainerOptions
{
    RunDir = runDir ?? Path.Combine("runs", manifest.Metadata.Name),
    GrpcPort = grpcPort,
    MetricsPort = metricsPort,
    RedisUrl = redis ?? "",
    IngestToken = token,
    ServeOnly = serveOnly,
    ServeCheckpoint = checkpoint ?? "",
    LingerAfterDone = TimeSpan.FromSeconds(linger),
    MaxFilteredBatches = maxFilteredBatches,
});

using var stop = new CancellationTokenSource();
// SIGTERM (Kubernetes) and Ctrl-C stop after the current step; RunAsync writes a checkpoint on the way out.
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

await using var run = new TrainerRun(options, loggers);
await run.StartAsync(stop.Token);
// Machine-readable for whoever started us with port 0 (tests, `agentops run`).
Console.WriteLine($"agentops-trainer: listening grpc={run.GrpcPort} metrics={run.MetricsPort}");
await run.RunAsync(stop.Token);
if (!stop.IsCancellationRequested && !options.ServeOnly)
{
    try { await Task.Delay(options.LingerAfterDone, stop.Token); }
    catch (OperationCanceledException) { }
}
return 0;
