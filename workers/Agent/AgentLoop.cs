using AgentOps.Protos.V1;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Agent;

/// <summary>
/// The code-as-action loop (L0 NB-Agent, ReTool): prompt, then per turn the policy writes an action; code runs
/// in the episode's persistent interpreter and comes back as &lt;output&gt; (mask 0); a malformed action,
/// an unknown tool or a missing argument comes back as &lt;feedback&gt; (LAM SIMULATOR online feedback);
/// &lt;answer&gt; ends the episode and the environment's verifier scores it. Budget overruns are the agent's
/// failure (TRUNCATED / MALFORMED, reward 0); a dead sandbox, a task whose setup cell (<see cref="EnvTask.Setup"/>)
/// fails, an unreachable policy or the episode's wall limit are infrastructure failures (no reward, never trained on). Format: <see cref="PromptFormat"/>.
/// </summary>
public sealed class AgentLoop(AgentOptions options, TimeProvider time)
{
    public async Task<Trajectory> RunAsync(EpisodeSpec spec, IEnvironment environment, IPolicyClient policy, ISandbox sandbox,
        CancellationToken cancellationToken = default)
    {
        options.Validate();
        var started = time.GetUtcNow();
        var b = new TrajectoryBuilder(spec, environment.Name);
        b.SetLabel("runtime", sandbox.Runtime);
        b.SetLabel("policy", policy.Name);
        b.SetLabel("interpreter", options.Interpreter ? "true" : "false");
        double generateSeconds = 0, sandboxSeconds = 0;

        using var episode = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        episode.CancelAfter(options.EpisodeTimeoutOrDefault);
        try
        {
            await RunTurnsAsync();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            b.SetOutcome(OutcomeStatus.InfraPlatformTimeout,
                $"episode exceeded episodeTimeoutSeconds={options.EpisodeTimeoutOrDefault.TotalSeconds:0.#}");
        }
        catch (PolicyUnavailableException e)
        {
            b.SetOutcome(OutcomeStatus.InfraPolicyUnavailable, $"policy unavailable: {e.Message}");
        }
        catch (SandboxUnavailableException e)
        {
            b.SetOutcome(OutcomeStatus.InfraSandboxCrashed, $"sandbox crashed: {e.Message}");
        }
        return b.Finish(started, time.GetUtcNow(), generateSeconds, sandboxSeconds);

        async Task RunTurnsAsync()
        {
            var task = spec.Task;
            var prompt = PromptFormat.Prompt(task.Question);
            b.AddText(SegmentKind.Prompt, prompt, 0);
            if (options.Interpreter && task.Setup is { } setup)
            {
                // The task's own world goes into the tool module first; the agent never sees this cell or its output.
                var s0 = time.GetTimestamp();
                var loaded = await sandbox.ExecuteAsync(setup, episode.Token);
                sandboxSeconds += time.GetElapsedTime(s0).TotalSeconds;
                if (!loaded.Ok)
                {
                    b.SetOutcome(OutcomeStatus.InfraSandboxStartFailed, $"the task's setup cell failed: {loaded.Error}");
                    return;
                }
            }
            var messages = new List<ChatMessage> { new("user", prompt.TrimEnd('\n')) };
            var history = new List<TurnRecord>();
            var anyCodeOk = false;
            var malformedTurns = 0;
            var lastMalformed = false;
            for (var turn = 0; turn < options.MaxTurns; turn++)
            {
                var room = options.MaxContextTokens - b.Context.Count;
                if (room <= 0)
                {
                    Unanswered(lastMalformed, $"context full: {b.Context.Count} tokens (maxContextTokens={options.MaxContextTokens})");
                    return;
                }
                var request = new PolicyTurn(task, turn, b.Context.ToArray(), messages.ToArray(), history.ToArray(),
                    Math.Min(options.MaxNewTokens, room), options.Temperature, options.TopP, PromptFormat.StopSequences,
                    TrajectoryIds.Seed(spec.TrajectoryId, turn), TrajectoryIds.Seed(spec.TrajectoryId, -1), options.Interpreter);
                var t0 = time.GetTimestamp();
                var completion = await policy.GenerateAsync(request, episode.Token);
                var genSeconds = time.GetElapsedTime(t0).TotalSeconds;
                generateSeconds += genSeconds;
                if (!completion.LogprobsAvailable) b.SetLabel("logprobs", "absent");
                b.AddGenerated(completion, turn);
                messages.Add(new ChatMessage("assistant", completion.Text));
                var action = ActionParser.Parse(completion.Text);
                var step = new Step { Index = turn, Action = completion.Text, GenerateSeconds = genSeconds };

                if (action.Kind == ActionKind.Answer)
                {
                    b.AddStep(step);
                    var verdict = await environment.VerifyAsync(task, action.Content, sandbox, episode.Token);
                    var components = new Dictionary<string, double>(verdict.Components)
                    {
                        ["executed"] = anyCodeOk ? 1 : 0,
                        ["format"] = verdict.Components.GetValueOrDefault("format", 1) * (malformedTurns == 0 ? 1 : 0),
                    };
                    b.SetReward(verdict.Total, components);
                    b.SetOutcome(OutcomeStatus.Answered, verdict.Message, action.Content);
                    return;
                }

                string observation, segmentText;
                string? feedback = null;
                var codeError = false;
                if (action.Kind == ActionKind.Malformed)
                {
                    malformedTurns++;
                    feedback = completion.FinishReason == FinishReason.Length
                        ? $"action cut at {completion.TokenIds.Count} tokens; {action.Content}"
                        : action.Content;
                }
                else if (!options.Interpreter)
                {
                    feedback = "no interpreter here; answer with <answer>...</answer>";
                    step.Code = action.Content;
                }
                else
                {
                    step.Code = action.Content;
                    var s0 = time.GetTimestamp();
                    var cell = await sandbox.ExecuteAsync(action.Content, episode.Token);
                    step.SandboxSeconds = time.GetElapsedTime(s0).TotalSeconds;
                    sandboxSeconds += step.SandboxSeconds;
                    codeError = !cell.Ok;
                    anyCodeOk |= cell.Ok;
                    feedback = environment.FeedbackFor(cell);
                    step.CodeError = codeError;
                    if (feedback is null)
                    {
                        observation = PromptFormat.Observation(cell.Stdout, cell.Error, options.MaxObservationBytes);
                        segmentText = PromptFormat.Output(observation);
                        b.AddText(SegmentKind.ToolOutput, segmentText, turn);
                        Record(observation);
                        lastMalformed = false;
                        continue;
                    }
                    step.Observation = PromptFormat.Observation(cell.Stdout, cell.Error, options.MaxObservationBytes);
                }

                lastMalformed = action.Kind == ActionKind.Malformed;
                feedback = PromptFormat.Clip(feedback, options.MaxObservationBytes);
                step.Feedback = feedback;
                b.AddText(SegmentKind.Feedback, PromptFormat.Feedback(feedback), turn);
                Record(feedback);

                void Record(string shown)
                {
                    if (step.Observation.Length == 0) step.Observation = shown;
                    b.AddStep(step);
                    var text = action.Kind == ActionKind.Code && feedback is null ? PromptFormat.Output(shown) : PromptFormat.Feedback(shown);
                    messages.Add(new ChatMessage("user", text.Trim('\n')));
                    history.Add(new TurnRecord(turn, completion.Text, action, shown, codeError, feedback));
                }
            }
            Unanswered(lastMalformed, $"no answer after maxTurns={options.MaxTurns}");
        }

        void Unanswered(bool lastMalformed, string why)
        {
            b.SetReward(0, new Dictionary<string, double> { ["correct"] = 0, ["format"] = 0 });
            b.SetOutcome(lastMalformed ? OutcomeStatus.Malformed : OutcomeStatus.Truncated, why);
        }
    }
}
