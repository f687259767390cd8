using System.Diagnostics;
using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Queue;
using AgentOps.Queue.Ingest;
using AgentOps.Telemetry;
using AgentOps.Telemetry.Grpc;
using AgentOps.Trainer.Checkpoints;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Rollout;
using AgentOps.Trainer.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentOps.Trainer.Training;

/// <summary>
/// The trainer process: the queue consumer filling the <see cref="UpdateBuffer"/>, the learner stepping through
/// the phases (sft for the cold start, rl for the algorithm, then done), the Policy service (plus the embedded
/// TrajectoryIngest when there is no Redis) on the gRPC port, /metrics and /status on the metrics port, metrics.jsonl
/// and checkpoints under the run folder.
/// </summary>
public sealed class TrainerRun : IAsyncDisposable
{
    private readonly TrainerOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly CheckpointStore _checkpoints;
    private readonly MetricsJsonl _jsonl;
    private readonly TrainerMetrics _metrics = new();
    private ITrajectoryQueue? _queue;
    private TrajectoryConsumer? _consumer;
    private Task? _consumerTask;
    private GrpcServerHost? _grpc;
    private MetricsServer? _metricsServer;
    private GenerateBatcher? _batcher;
    private readonly CancellationTokenSource _stopConsumer = new();
    private readonly DemonstrationSet? _demonstrations;
    private readonly LearnerThread _learnerThread = new();
    private bool _demonstrationsLogged;
    private long _step;
    private string _phase;
    /// <summary>The steps of each phase; SFT's may end sooner at its target loss (<see cref="_lossTarget"/>).</summary>
    private PhasePlan _plan;
    private readonly SftLossTarget _lossTarget;

    /// <summary>Without a demonstration set: how many SFT batches the trainer keeps buffered ahead of its learner
    /// before it tells executors to pause (Info.demonstrations_complete).</summary>
    private const int DemonstrationLookaheadBatches = 8;

    public TrainerRun(TrainerOptions options, ILoggerFactory loggers, TimeProvider? time = null)
    {
        _options = options;
        _log = loggers.CreateLogger("agentops.trainer");
        _loggers = loggers;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(options.RunDir);
        _checkpoints = new CheckpointStore(Path.Combine(options.RunDir, "checkpoints"), _time);
        _jsonl = new MetricsJsonl(Path.Combine(options.RunDir, "metrics.jsonl"));
        var config = ModelConfig.FromPreset(options.Preset) with { ContextLength = Math.Max(16, options.MaxContextTokens) };
        Learner = new Learner(options, config, Engine.TorchDevices.Resolve(options.Device));
        if (options.SftEnabled && options.SftDemonstrations > 0 && !options.ServeOnly)
            _demonstrations = new DemonstrationSet(Path.Combine(options.RunDir, "demonstrations.pb"), options.SftDemonstrations, config.ContextLength, options.Seed);
        Buffer = new UpdateBuffer(new UpdateBufferOptions(options.GroupSize, options.MaxStaleness, config.ContextLength, options.GroupFilter, options.MaxFilteredBatches), _demonstrations);
        _plan = PhasePlan.From(options);
        _lossTarget = new SftLossTarget(options.SftTargetLoss);
        Resume();
        // Serve-only answers phase "rl": evaluation executors sample from the policy.
        _phase = options.ServeOnly ? TrainerPhase.Rl : _plan.At(_step);
        Status = new TrainerStatus(_phase, _step, _plan.TotalSteps, Learner.Gate.Version);
        _metrics.SetPhase(_phase);
    }

    private readonly ILoggerFactory _loggers;

    public Learner Learner { get; }
    public UpdateBuffer Buffer { get; }
    public TrainerStatus Status { get; }
    public int GrpcPort => _grpc?.Port ?? 0;
    public int MetricsPort => _metricsServer?.Port ?? 0;

    private void Resume()
    {
        if (_options.ServeOnly)
        {
            // Without --checkpoint: what training starts from (spec.policy.checkpoint, else the seeded random
            // initialisation), the "untrained" row of an evaluation.
            var serve = _options.ServeCheckpoint.Length > 0 ? _options.ServeCheckpoint : _options.InitCheckpoint;
            if (serve.Length == 0)
            {
                TrainerLog.ServingInit(_log, _options.Seed);
                return;
            }
            var st = CheckpointStore.LoadInto(serve, Learner.Policy, null);
            Learner.Gate.Reset(st.PolicyVersion, () => { });
            TrainerLog.Resumed(_log, serve, st.Step, st.PolicyVersion, "serve-only");
            return;
        }
        var latest = _checkpoints.LatestPath();
        var from = latest ?? (_options.InitCheckpoint.Length > 0 ? _options.InitCheckpoint : null);
        if (from is null) return;
        var state = CheckpointStore.LoadInto(from, Learner.Policy, latest is null ? null : Learner.Optimizer);
        if (latest is null)
        {
            TrainerLog.Resumed(_log, from, 0, 0, "init");
            return;
        }
        _step = state.Step;
        // An SFT phase that ended at its target loss keeps the length it had; one still running may end sooner.
        if (state.SftSteps is { } sftSteps) _plan = _plan with { SftSteps = sftSteps };
        Learner.Gate.Reset(state.PolicyVersion, () => { });
        var value = Path.Combine(from, "value.safetensors");
        if (Learner.Value is not null && File.Exists(value))
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            Engine.StateDicts.Load(Learner.Value, SafeTensors.Read(value).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor(Learner.Device)), $"checkpoint {value}");
        }
        if (_plan.At(_step) == TrainerPhase.Rl)
        {
            // The KL reference is the policy the RL phase started from: the SFT checkpoint when there is one.
            var sft = Path.Combine(_checkpoints.Root, "sft");
            Learner.FreezeReference(Directory.Exists(sft) ? sft : null);
        }
        TrainerLog.Resumed(_log, from, state.Step, state.PolicyVersion, state.Phase);
    }

    /// <summary>Opens the queue, starts the consumer, the gRPC server and the metrics server.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var embedded = _options.RedisUrl.Length == 0 && !_options.ServeOnly;
        if (!_options.ServeOnly)
            _queue = _options.RedisUrl.Length == 0
            ? new InProcessTrajectoryQueue()
            : await RedisTrajectoryQueue.ConnectAsync(_options.RedisUrl, new RedisQueueOptions { RunId = _options.RunId }).ConfigureAwait(false);
        if (_queue is not null)
        {
            _consumer = new TrajectoryConsumer(_queue, Handoff, new TrajectoryConsumerOptions { BatchSize = _options.ReadBatch, ClaimIdle = _options.ReclaimIdle, TimeProvider = _time });
            _consumerTask = Task.Run(() => _consumer.RunAsync(_stopConsumer.Token), CancellationToken.None);
        }

        var generator = new Generator(Learner.Policy);
        var backend = new GenerationBackend(generator, _options.Seed);
        // Generation runs on the learner thread too: on a CPU the two would fight over the same cores (measured on
        // `make run`: a 64-episode GRPO step took 31 s while generation ran beside it on its own OpenMP team).
        // Continuous batching: requests join the running session between decode steps; on the CPU the session winds
        // down as soon as a learner step is queued behind it on the learner thread.
        _batcher = new GenerateBatcher(backend.Session, Learner.Gate, _options.BatchWindow, _options.MaxGenerateBatch, _time,
            OnGpu ? null : _learnerThread.Run, OnGpu ? null : () => _learnerThread.Queued > 0);
        var services = new List<GrpcService>
        {
            GrpcService.Of(new PolicyService(_batcher, Info, Learner.Policy.Config.ContextLength)),
        };
        if (embedded)
        {
            var ingest = new TrajectoryIngestService(_queue!, new IngestOptions
            {
                RunId = _options.RunId,
                BearerToken = _options.IngestToken.Length > 0 ? _options.IngestToken : null,
                MaxBacklog = _options.MaxBacklog,
            }, logger: _loggers.CreateLogger<TrajectoryIngestService>());
            services.Add(ingest.ToGrpcService());
        }
        _grpc = await GrpcServerHost.StartAsync(new GrpcServerHostOptions { Port = _options.GrpcPort, BindAddress = System.Net.IPAddress.Any }, services, cancellationToken).ConfigureAwait(false);

        _metricsServer = new MetricsServer(new MetricsServerOptions { Port = _options.MetricsPort });
        _metricsServer.MapGet("/status", async ctx =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(Status.Current.ToJson(), ctx.RequestAborted).ConfigureAwait(false);
        });
        _metricsServer.AddReadinessCheck("policy", _ => Task.FromResult(_grpc is null
            ? ReadinessResult.NotReady("gRPC server not started")
            : ReadinessResult.Ready($"version {Learner.Gate.Version}")));
        await _metricsServer.StartAsync(cancellationToken).ConfigureAwait(false);
        TrainerLog.Listening(_log, embedded ? " + TrajectoryIngest" : "", _grpc.Port, _metricsServer.Port);
    }

    private ValueTask Handoff(IReadOnlyList<QueueEntry> entries, CancellationToken cancellationToken)
    {
        var invalidBefore = Buffer.Counters.DroppedInvalid;
        foreach (var e in entries) Buffer.Add(e.Trajectory);
        _metrics.Ingested(entries.Count);
        if (Buffer.Counters.DroppedInvalid > invalidBefore && Buffer.LastInvalid is { } reason) TrainerLog.Invalid(_log, reason);
        Status.Update(s => s with { TrajectoriesIngested = Buffer.Counters.Ingested });
        return ValueTask.CompletedTask;
    }

    private bool OnGpu => Learner.Device.type == TorchSharp.DeviceType.CUDA;

    private PolicyInfo Info()
    {
        var s = Status.Current;
        return new PolicyInfo
        {
            PolicyVersion = Learner.Gate.Version,
            ModelPreset = Learner.Policy.Config.Preset,
            Parameters = Learner.Policy.ParameterCount,
            VocabSize = ByteTokenizer.VocabSize,
            ContextLength = Learner.Policy.Config.ContextLength,
            Tokenizer = ByteTokenizer.Name,
            Step = s.Step,
            Device = Learner.Device.ToString(),
            Phase = s.Phase,
            TotalSteps = s.TotalSteps,
            DemonstrationsComplete = s.Phase == TrainerPhase.Sft && (_demonstrations?.IsComplete
                ?? Buffer.DemonstrationCount >= DemonstrationLookaheadBatches * _options.SftBatchSize),
        };
    }

    /// <summary>Runs the remaining steps; returns when done or cancelled (a checkpoint is written either way).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_options.ServeOnly)
        {
            try { await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            return;
        }
        var lastIngested = Buffer.Counters.Ingested;
        var lastTime = _time.GetTimestamp();
        try
        {
            while (_step < _plan.TotalSteps && !cancellationToken.IsCancellationRequested)
            {
                var phase = _plan.At(_step);
                if (phase != _phase) EnterPhase(phase);
                var counters = Buffer.Counters;
                var waitWatch = Stopwatch.StartNew();
                StepResult? result = phase == TrainerPhase.Sft ? await SftStepAsync(cancellationToken).ConfigureAwait(false) : await RlStepAsync(cancellationToken).ConfigureAwait(false);
                if (result is null) break; // cancelled while waiting for data
                var wait = waitWatch.Elapsed.TotalSeconds - result.Metrics.GetValueOrDefault(MetricNames.StepSeconds);
                var delta = Buffer.Counters.Minus(counters);
                var metrics = new Dictionary<string, double>(result.Metrics)
                {
                    [MetricNames.DroppedStale] = delta.DroppedStale,
                    [MetricNames.DroppedInfra] = delta.DroppedInfra,
                    [MetricNames.DroppedGroups] = delta.DroppedGroups,
                    [MetricNames.DroppedInvalid] = delta.DroppedInvalid,
                    [MetricNames.DroppedDuplicates] = delta.DroppedDuplicates,
                    [MetricNames.SkippedSteps] = delta.ForcedTakes,
                    [MetricNames.WaitSeconds] = wait,
                };
                if (delta.SampledTrajectories > 0) metrics[MetricNames.SampledSuccessRate] = delta.SampledSuccesses / (double)delta.SampledTrajectories;
                var report = new StepReport(_step, phase, _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0, metrics);
                _jsonl.Append(report);
                _metrics.RecordStep(report, result.PolicyVersion, result.TrainedTokens);
                _metrics.Dropped("stale", delta.DroppedStale);
                _metrics.Dropped("infra", delta.DroppedInfra);
                _metrics.Dropped("invalid", delta.DroppedInvalid);
                _metrics.Dropped("uniform_group", delta.DroppedGroupTrajectories);
                _metrics.Dropped("split", delta.DroppedSplit);
                _metrics.Dropped("duplicate", delta.DroppedDuplicates);
                if (delta.ForcedTakes > 0)
                {
                    _metrics.SkippedStep();
                    TrainerLog.FilterStalled(_log, _step, _options.MaxFilteredBatches, metrics.GetValueOrDefault(MetricNames.RewardMean));
                }
                _step++;
                if (phase == TrainerPhase.Sft && _lossTarget.Record(metrics.GetValueOrDefault(MetricNames.LossTotal, double.NaN)) && _step < _plan.SftSteps)
                {
                    TrainerLog.SftTargetReached(_log, _lossTarget.Mean!.Value, SftLossTarget.Window, _lossTarget.Target, _step, _plan.SftSteps);
                    _plan = _plan with { SftSteps = _step };
                }
                // Executors follow the phase through Info/status: switch as soon as the step that ends one is done.
                var next = _plan.At(_step);
                if (next != _phase && next != TrainerPhase.Done) EnterPhase(next);
                var now = _time.GetTimestamp();
                var elapsed = Math.Max(_time.GetElapsedTime(lastTime, now).TotalSeconds, 1e-9);
                var ingested = Buffer.Counters.Ingested;
                Status.Update(s => s with
                {
                    Step = _step,
                    TotalSteps = _plan.TotalSteps,
                    PolicyVersion = result.PolicyVersion,
                    MeanReward = phase == TrainerPhase.Rl ? metrics.GetValueOrDefault(MetricNames.RewardMean) : s.MeanReward,
                    SuccessRate = phase == TrainerPhase.Rl ? metrics.GetValueOrDefault(MetricNames.SampledSuccessRate, metrics.GetValueOrDefault(MetricNames.SuccessRate)) : s.SuccessRate,
                    TrajectoriesIngested = ingested,
                    TokensPerSecond = metrics.GetValueOrDefault(MetricNames.TokensPerSecond),
                    TrajectoriesPerSecond = (ingested - lastIngested) / elapsed,
                });
                lastIngested = ingested;
                lastTime = now;
                TrainerLog.Step(_log, _step, _plan.TotalSteps, phase, metrics.GetValueOrDefault(MetricNames.LossTotal),
                    metrics.GetValueOrDefault(MetricNames.RewardMean, double.NaN), result.PolicyVersion, metrics.GetValueOrDefault(MetricNames.StepSeconds));
                if (_step % _options.CheckpointEverySteps == 0) SaveCheckpoint();
            }
        }
        finally
        {
            // Every way out (done, SIGTERM, an error) leaves a checkpoint to resume from.
            if (_step > 0) SaveCheckpoint();
        }
        if (_step >= _plan.TotalSteps) EnterPhase(TrainerPhase.Done);
    }

    private void EnterPhase(string phase)
    {
        if (_phase == TrainerPhase.Sft && phase != TrainerPhase.Sft && _step > 0)
        {
            var path = "";
            _learnerThread.Run(() => path = _checkpoints.Save("sft", Learner.Policy, Learner.Optimizer, State()));
            TrainerLog.Checkpoint(_log, path);
        }
        if (phase == TrainerPhase.Rl)
        {
            Buffer.DiscardDemonstrations();
            _learnerThread.Run(() => Learner.FreezeReference(null));
        }
        _phase = phase;
        _metrics.SetPhase(phase);
        Status.Update(s => s with { Phase = phase });
        TrainerLog.Phase(_log, phase, _step);
    }

    private async Task<StepResult?> SftStepAsync(CancellationToken cancellationToken)
    {
        var need = _options.SftBatchSize;
        var lr = LearningRateSchedule.At(_step, _options.SftLearningRate, _options.SftWarmupSteps);
        if (_demonstrations is { } set)
        {
            // ReTool's cold start: collect the set once (executors pause when it is complete), then train epochs over it.
            while (!set.IsComplete)
            {
                if (!await WaitAsync(cancellationToken, set.Count, set.Capacity, "demonstrations for the SFT set").ConfigureAwait(false)) return null;
            }
            if (!_demonstrationsLogged)
            {
                _demonstrationsLogged = true;
                TrainerLog.DemonstrationSetComplete(_log, set.Count, set.Path, set.Loaded, _options.SftSteps, need, (double)_options.SftSteps * need / set.Count);
            }
            var batch = set.NextBatch(need);
            var result = await _learnerThread.RunAsync(() => Learner.SftStep(batch, lr)).ConfigureAwait(false);
            return result with { Metrics = new Dictionary<string, double>(result.Metrics) { [MetricNames.SftEpoch] = set.Epoch } };
        }
        while (Buffer.DemonstrationCount < need)
        {
            if (!await WaitAsync(cancellationToken, Buffer.DemonstrationCount, need, "demonstrations").ConfigureAwait(false)) return null;
        }
        var demos = Buffer.TakeDemonstrations(need);
        return await _learnerThread.RunAsync(() => Learner.SftStep(demos, lr)).ConfigureAwait(false);
    }

    private async Task<StepResult?> RlStepAsync(CancellationToken cancellationToken)
    {
        List<RolloutGroup>? groups;
        // DAPO dynamic sampling: keep consuming until enough informative groups arrived.
        while ((groups = Buffer.TryTakeGroups(_options.TasksPerStep, Learner.Gate.Version)) is null)
        {
            if (!await WaitAsync(cancellationToken, Buffer.ReadyGroupCount, _options.TasksPerStep, "groups").ConfigureAwait(false)) return null;
        }
        var rlStep = _step - _plan.SftSteps;
        var lr = LearningRateSchedule.At(rlStep, _options.LearningRate, _options.WarmupSteps);
        return await _learnerThread.RunAsync(() => Learner.RlStep(groups, lr)).ConfigureAwait(false);
    }

    private DateTime _lastWaitLog = DateTime.MinValue;

    private async Task<bool> WaitAsync(CancellationToken cancellationToken, int have, int need, string what)
    {
        if (_consumerTask is { IsCompleted: true })
            await _consumerTask.ConfigureAwait(false); // surfaces the consumer's failure instead of waiting forever
        var now = _time.GetUtcNow().UtcDateTime;
        if (now - _lastWaitLog > TimeSpan.FromSeconds(10))
        {
            _lastWaitLog = now;
            TrainerLog.Waiting(_log, have, need, what, Buffer.Counters.Ingested);
        }
        try
        {
            await Buffer.WaitForChangeAsync(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private TrainerState State() => new()
    {
        Step = _step,
        PolicyVersion = Learner.Gate.Version,
        Phase = _plan.At(_step),
        SftSteps = _step >= _plan.SftSteps ? _plan.SftSteps : null,
        Seed = (ulong)_options.Seed,
    };

    private void SaveCheckpoint() => _learnerThread.Run(WriteCheckpoint);

    private void WriteCheckpoint()
    {
        var path = _checkpoints.SaveStep(Learner.Policy, Learner.Optimizer, State(), _options.CheckpointKeep);
        if (Learner.Value is not null)
            SafeTensors.Write(Path.Combine(path, "value.safetensors"), Learner.Value.named_parameters().Select(x => (x.name, (TorchSharp.torch.Tensor)x.parameter)));
        TrainerLog.Checkpoint(_log, path);
    }

    public async ValueTask DisposeAsync()
    {
        _stopConsumer.Cancel();
        if (_consumerTask is not null)
        {
            try { await _consumerTask.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        if (_consumer is not null) await _consumer.DisposeAsync().ConfigureAwait(false);
        if (_grpc is not null) await _grpc.DisposeAsync().ConfigureAwait(false);
        if (_batcher is not null) await _batcher.DisposeAsync().ConfigureAwait(false);
        if (_metricsServer is not null) await _metricsServer.DisposeAsync().ConfigureAwait(false);
        if (_queue is not null) await _queue.DisposeAsync().ConfigureAwait(false);
        _jsonl.Dispose();
        _metrics.Dispose();
        _learnerThread.Run(Learner.Dispose);
        _learnerThread.Dispose();
        _demonstrations?.Dispose();
        _stopConsumer.Dispose();
    }
}
