using Microsoft.Extensions.Logging;

namespace AgentOps.Trainer.Training;

internal static partial class TrainerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "serving Policy{Ingest} on gRPC port {GrpcPort}, metrics and /status on port {MetricsPort}")]
    public static partial void Listening(ILogger logger, string ingest, int grpcPort, int metricsPort);

    [LoggerMessage(Level = LogLevel.Information, Message = "resumed from {Path}: step {Step}, policy version {Version}, phase {Phase}")]
    public static partial void Resumed(ILogger logger, string path, long step, long version, string phase);

    [LoggerMessage(Level = LogLevel.Information, Message = "step {Step}/{Total} {Phase}: loss {Loss:F4}, reward {Reward:F3}, version {Version}, {Seconds:F2} s")]
    public static partial void Step(ILogger logger, long step, long total, string phase, double loss, double reward, long version, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "step {Step}: {Batches} batches' worth of groups in a row had all-equal rewards (group filter); stepped with them anyway (zero advantage), reward mean {Reward:F3}")]
    public static partial void FilterStalled(ILogger logger, long step, int batches, double reward);

    [LoggerMessage(Level = LogLevel.Information, Message = "serve-only without a checkpoint: serving the seeded random initialisation (seed {Seed}), policy version 0")]
    public static partial void ServingInit(ILogger logger, int seed);

    [LoggerMessage(Level = LogLevel.Information, Message = "SFT reached its target loss: mean {Mean:F4} over the last {Window} steps <= {Target} after {Step} of at most {Cap} steps")]
    public static partial void SftTargetReached(ILogger logger, double mean, int window, double target, long step, long cap);

    [LoggerMessage(Level = LogLevel.Information, Message = "phase {Phase} begins at step {Step}")]
    public static partial void Phase(ILogger logger, string phase, long step);

    [LoggerMessage(Level = LogLevel.Information, Message = "checkpoint written: {Path}")]
    public static partial void Checkpoint(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "dropped an invalid trajectory: {Reason}")]
    public static partial void Invalid(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "SFT data set complete: {Count} demonstrations in {Path} ({Loaded} read back from an earlier run); {Steps} steps of {Batch} make {Epochs:F1} epochs")]
    public static partial void DemonstrationSetComplete(ILogger logger, int count, string path, int loaded, int steps, int batch, double epochs);

    [LoggerMessage(Level = LogLevel.Information, Message = "waiting for data: {Have} of {Need} {What} buffered ({Ingested} trajectories ingested so far)")]
    public static partial void Waiting(ILogger logger, int have, int need, string what, long ingested);
}
