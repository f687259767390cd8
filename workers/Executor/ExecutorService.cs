using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using AgentOps.Protos.V1;
using AgentOps.Workers.Agent;
using AgentOps.Workers.Environments;
using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Executor;

/// <summary>
/// The executor's main loop: a producer decides what to run next and K workers run episodes concurrently
/// (one sandbox each) and hand every trajectory to the sink. In train mode with a trainer the producer
/// follows Policy.Info.phase: "sft" → scripted reference demonstrations (split "sft"; paused while Info says
/// demonstrations_complete), "rl" → groupSize
/// policy samples per prompt sharing a group id (split "train"), "done" → drain and exit; each split draws from
/// its own seed stream. In eval mode it runs the held-out set (<see cref="IEnvironment.HeldOut"/>) once.
/// </summary>
public sealed class ExecutorService(
    ExecutorSettings settings,
    EpisodeRunner runner,
    IPolicyClient policy,
    GrpcPolicyClient? phaseSource,
    ITrajectorySink sink,
    ExecutorMetrics metrics,
    ILogger logger,
    TimeProvider time)
{
    private sealed record Work(EpisodeSpec Spec, IPolicyClient Policy);

    // How soon a paused executor asks again: the trainer wants more as soon as its learner has eaten a batch.
    private static readonly TimeSpan PausedPoll = TimeSpan.FromMilliseconds(500);

    private int _episodes, _answered, _infra, _correct;
    private double _rewardSum;
    private long _episodeCounter, _groupCounter, _taskCounter;

    public async Task<ExecutorSummary> RunAsync(CancellationToken cancellationToken = default)
    {
        settings.Validate();
        var channel = Channel.CreateBounded<Work>(new BoundedChannelOptions(settings.Concurrency) { SingleWriter = true });
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(() => WorkAsync(channel.Reader, failed), CancellationToken.None)).ToList();
        try
        {
            await ProduceAsync(channel.Writer, failed.Token);
            channel.Writer.TryComplete();
        }
        catch (Exception e)
        {
            channel.Writer.TryComplete(e);
            await failed.CancelAsync();
        }
        await Task.WhenAll(workers);
        var n = Math.Max(1, _episodes - _infra);
        var summary = new ExecutorSummary(_episodes, _answered, _infra, _rewardSum / n, (double)_correct / n);
        ExecutorLog.Done(logger, summary.Episodes, summary.MeanReward, summary.SuccessRate);
        return summary;
    }

    private async Task WorkAsync(ChannelReader<Work> reader, CancellationTokenSource failed)
    {
        try
        {
            await foreach (var work in reader.ReadAllAsync(failed.Token))
            {
                var t = await runner.RunAsync(work.Spec, work.Policy, failed.Token);
                metrics.Record(t);
                if (t.Outcome.Status.IsInfrastructureFailure())
                    ExecutorLog.InfraFailure(logger, t.EpisodeId, ExecutorMetrics.OutcomeLabel(t.Outcome.Status), t.Outcome.Message);
                await sink.WriteAsync(t, work.Spec.Task, failed.Token);
                Count(t);
            }
        }
        catch (Exception) when (!failed.IsCancellationRequested)
        {
            await failed.CancelAsync(); // one worker's sink failure stops the run loudly, not silently
            throw;
        }
    }

    private void Count(Trajectory t)
    {
        Interlocked.Increment(ref _episodes);
        if (t.Outcome.Status.IsInfrastructureFailure()) { Interlocked.Increment(ref _infra); return; }
        if (t.Outcome.Status == OutcomeStatus.Answered) Interlocked.Increment(ref _answered);
        if (t.Reward.Components.GetValueOrDefault("correct") >= 1) Interlocked.Increment(ref _correct);
        lock (this) _rewardSum += t.Reward.Total;
    }

    private async Task ProduceAsync(ChannelWriter<Work> writer, CancellationToken ct)
    {
        var env = runner.Environment;
        if (settings.Split == "eval")
        {
            // The same held-out list in every process, none of it a training task (HeldOutSet).
            foreach (var task in env.HeldOut(settings.Environment, settings.Episodes ?? settings.Environment.EvalTasks))
            {
                var episode = NextEpisode("eval");
                await writer.WriteAsync(new Work(new EpisodeSpec(settings.RunId, episode, 0, episode, "eval", settings.Executor, task), policy), ct);
            }
            return;
        }

        var scripted = new ScriptedPolicy(settings.RecoverRate);
        if (phaseSource is null)
        {
            // No trainer to follow: a fixed number of episodes, demonstrations when the policy is scripted.
            var total = settings.Episodes ?? throw new ArgumentException("--episodes: required in train mode without a gRPC policy to follow");
            var sft = policy is ScriptedPolicy;
            var produced = 0;
            while (produced < total)
            {
                var group = sft ? 1 : Math.Min(settings.GroupSize, total - produced);
                await ProduceGroupAsync(writer, sft ? "sft" : "train", group, policy, ct);
                produced += group;
            }
            return;
        }

        string? lastPhase = null;
        while (!ct.IsCancellationRequested)
        {
            var info = await PollInfoAsync(ct);
            if (info.Phase != lastPhase) ExecutorLog.Phase(logger, info.Phase, info.PolicyVersion, info.Step);
            lastPhase = info.Phase;
            var until = time.GetUtcNow() + settings.PhasePollOrDefault;
            switch (info.Phase)
            {
                case "done":
                    return;
                case "sft" when info.DemonstrationsComplete:
                    // The trainer has its SFT data set (or enough buffered ahead of the learner): leave the CPU to it.
                    await Task.Delay(TimeSpan.FromTicks(Math.Min(settings.PhasePollOrDefault.Ticks, PausedPoll.Ticks)), time, ct);
                    break;
                case "sft":
                    do await ProduceGroupAsync(writer, "sft", 1, scripted, ct);
                    while (time.GetUtcNow() < until);
                    break;
                case "rl":
                    do await ProduceGroupAsync(writer, "train", settings.GroupSize, policy, ct);
                    while (time.GetUtcNow() < until);
                    break;
                default:
                    // Unknown or empty phase (a trainer still starting): wait and ask again.
                    await Task.Delay(settings.PhasePollOrDefault, time, ct);
                    break;
            }
        }
    }

    private async Task<PolicyInfo> PollInfoAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                return await phaseSource!.InfoAsync(ct);
            }
            catch (PolicyUnavailableException e)
            {
                ExecutorLog.InfoFailed(logger, delay.TotalSeconds, e.Message);
                await Task.Delay(delay, time, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(15).Ticks));
            }
        }
    }

    private async Task ProduceGroupAsync(ChannelWriter<Work> writer, string split, int size, IPolicyClient groupPolicy, CancellationToken ct)
    {
        var env = runner.Environment;
        var index = Interlocked.Increment(ref _taskCounter) - 1;
        var streamSeed = settings.Environment.Seed ^ StableHash(settings.Executor);
        var task = env.Generate(TaskSeeds.ForSplit(streamSeed, split, index), $"{env.Name}-{settings.Environment.Seed}-{settings.Executor}-{index}", split);
        var group = $"{settings.IdPrefix}-g{Interlocked.Increment(ref _groupCounter) - 1}";
        for (var k = 0; k < size; k++)
        {
            var episode = NextEpisode(split);
            await writer.WriteAsync(new Work(new EpisodeSpec(settings.RunId, episode, 0, group, split, settings.Executor, task), groupPolicy), ct);
        }
    }

    private string NextEpisode(string split) => $"{settings.IdPrefix}-{split}-{Interlocked.Increment(ref _episodeCounter) - 1}";

    private static long StableHash(string s) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(s)), 0) & long.MaxValue;
}
