using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Workers.Agent;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Environments.Arithmetic;
using AgentOps.Workers.Environments.Cat;
using AgentOps.Workers.Environments.Countdown;
using AgentOps.Workers.Environments.MultihopQa;
using AgentOps.Workers.Environments.Tools;
using AgentOps.Workers.Sandbox;
using AgentOps.Workers.Tests.Sandbox;

namespace AgentOps.Workers.Tests.Agent;

/// <summary>Real episodes: the agent loop against real interpreters of the process runtime, with the real tool modules.</summary>
public sealed class AgentLoopTests : IAsyncLifetime
{
    private readonly string _tools = Directory.CreateTempSubdirectory("agentops-loop-tools-").FullName;
    private SandboxHarness _harness = null!;
    public Task InitializeAsync()
    {
        ToolsFolder.Write(_tools);
        _harness = new SandboxHarness("process", toolsDir: _tools);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        Directory.Delete(_tools, true);
    }

    private static EpisodeSpec Spec(EnvTask task, string episode = "e0") => new("run", episode, 0, "g0", "train", "ex", task);

    private async Task<Trajectory> RunAsync(IEnvironment env, EnvTask task, IPolicyClient policy, AgentOptions? options = null)
    {
        await using var sandbox = await _harness.StartAsync();
        return await new AgentLoop(options ?? new AgentOptions(), TimeProvider.System).RunAsync(Spec(task, "e-" + task.Id), env, policy, sandbox);
    }

    private static string Text(Trajectory t) => ByteTokenizer.Decode(t.Segments.SelectMany(s => s.TokenIds).ToArray());

    [Fact]
    public async Task Scripted_reference_solves_every_environment_in_a_real_sandbox()
    {
        var arithmetic = new ArithmeticEnvironment(new EnvironmentOptions());
        var countdown = new CountdownEnvironment(new EnvironmentOptions("countdown"));
        var tools = new ToolsEnvironment(new EnvironmentOptions("tools"));
        var qa = new MultihopQaEnvironment(new EnvironmentOptions("multihop-qa", Settings: new Dictionary<string, string> { ["hops"] = "3" }));
        await using var catSandbox = await _harness.StartAsync();
        var (kept, checks) = await CatEnvironment.ProposeAsync(new TemplateChallenger(), 5, "train", 5, catSandbox);
        Assert.All(checks, c => Assert.True(c.Kept, c.Reason));
        var (heldOut, _) = await CatEnvironment.ProposeAsync(new TemplateChallenger(), 5, "eval", 2, catSandbox);
        var cat = new CatEnvironment(kept, heldOut);
        IEnvironment[] envs = [arithmetic, countdown, tools, qa, cat];
        foreach (var env in envs)
        {
            // Two training tasks and two held-out ones, each with its own world where the environment makes one.
            for (var i = 0; i < 4; i++)
            {
                var task = env.Generate(TaskSeeds.For(9, i), $"{env.Name}-{i}", i < 2 ? "train" : "eval");
                var t = await RunAsync(env, task, new ScriptedPolicy());
                Assert.True(t.Outcome.Status == OutcomeStatus.Answered && t.Reward.Total == 1,
                    $"{env.Name} task '{task.Question}': {t.Outcome.Status} {t.Outcome.Message}\n{Text(t)}");
                Assert.Equal(1, t.Reward.Components["executed"]);
                Assert.Equal(task.ReferenceCells.Count + 1, t.Steps.Count);
                Assert.Equal("process", t.Labels["runtime"]);
            }
        }
    }

    [Fact]
    public async Task An_arithmetic_episode_has_the_documented_bytes_segments_and_masks()
    {
        var env = new ArithmeticEnvironment(new EnvironmentOptions());
        var task = new EnvTask("t", "arithmetic", "(37*41-123)*17", "23698", ["print((37*41-123)*17)"]);
        var t = await RunAsync(env, task, new ScriptedPolicy());
        Assert.Equal("Q: (37*41-123)*17\n<code>print((37*41-123)*17)</code>\n<output>23698</output>\n<answer>23698</answer>", Text(t));
        Assert.Equal([SegmentKind.Prompt, SegmentKind.Generated, SegmentKind.ToolOutput, SegmentKind.Generated], t.Segments.Select(s => s.Kind));
        Assert.Equal([0, 0, 0, 1], t.Segments.Select(s => s.StepIndex));
        Assert.All(t.Segments, s => Assert.Equal(s.Kind == SegmentKind.Generated ? s.TokenIds.Count : 0, s.LossMask.Count(m => m == 1)));
        Assert.All(t.Segments, s => Assert.Equal(s.Kind == SegmentKind.Generated ? s.TokenIds.Count : 0, s.Logprobs.Count));
        Assert.Equal("23698", t.Outcome.Answer);
        Assert.Equal("print((37*41-123)*17)", t.Steps[0].Code);
        Assert.Equal("23698", t.Steps[0].Observation);
        Assert.True(t.Timings.SandboxSeconds > 0);
        Assert.True(t.Timings.FinishedUnixMs >= t.Timings.StartedUnixMs);
    }

    [Fact]
    public async Task Error_and_recover_demonstrations_see_the_error_then_succeed()
    {
        var tools = new ToolsEnvironment(new EnvironmentOptions("tools"));
        var kinds = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            var task = tools.Generate(TaskSeeds.For(2, i), $"t{i}");
            var t = await RunAsync(tools, task, new ScriptedPolicy(recoverRate: 1));
            Assert.True(t.Reward.Total == 1, $"{t.Outcome.Message}\n{Text(t)}");
            Assert.True(t.Steps[0].CodeError, Text(t));
            Assert.False(t.Steps[1].CodeError);
            var first = t.Segments.First(s => s.StepIndex == 0 && s.Kind is SegmentKind.Feedback or SegmentKind.ToolOutput);
            kinds.Add(first.Kind == SegmentKind.Feedback ? t.Steps[0].Feedback : t.Steps[0].Observation.Split(':')[0]);
        }
        // Online feedback from the tools (LAM SIMULATOR) for a dropped argument, interpreter errors otherwise.
        Assert.Contains(kinds, k => k.Contains("missing argument", StringComparison.Ordinal));
        Assert.Contains(kinds, k => k.StartsWith("unknown tool prnt", StringComparison.Ordinal) || k == "SyntaxError");
        Assert.True(kinds.Count >= 2, string.Join(" | ", kinds));
    }

    [Fact]
    public async Task Unknown_tools_and_missing_arguments_come_back_as_feedback_segments()
    {
        var tools = new ToolsEnvironment(new EnvironmentOptions("tools"));
        var task = tools.Generate(TaskSeeds.For(2, 0), "t0");
        var policy = new FixedActionsPolicy("<code>from biz import *\nget_ordr('O1')</code>", "<code>get_order()</code>", "<answer>none</answer>");
        var t = await RunAsync(tools, task, policy);
        Assert.StartsWith("unknown tool get_ordr;", t.Steps[0].Feedback);
        Assert.Equal("get_order: missing argument order_id", t.Steps[1].Feedback);
        Assert.Contains("\n<feedback>get_order: missing argument order_id</feedback>\n", Text(t));
        Assert.Equal(2, t.Segments.Count(s => s.Kind == SegmentKind.Feedback));
        Assert.Equal(OutcomeStatus.Answered, t.Outcome.Status);
        Assert.Equal(0, t.Reward.Total);
        Assert.Equal(0, t.Reward.Components["executed"]);
        Assert.Equal("user", policy.Turns[2].Messages[^1].Role);
        Assert.Equal("<feedback>get_order: missing argument order_id</feedback>", policy.Turns[2].Messages[^1].Content);
    }

    [Fact]
    public async Task Notebook_state_survives_between_turns()
    {
        var env = new ArithmeticEnvironment(new EnvironmentOptions());
        var task = new EnvTask("t", "arithmetic", "6*7", "42", ["print(6*7)"]);
        var t = await RunAsync(env, task, new FixedActionsPolicy("<code>x=6*7</code>", "<code>print(x)</code>", "<answer>42</answer>"));
        Assert.Equal("42", t.Steps[1].Observation);
        Assert.Equal(1, t.Reward.Total);
    }

    [Fact]
    public async Task Text_only_mode_refuses_code_with_feedback_and_scripted_answers_directly()
    {
        var env = new ArithmeticEnvironment(new EnvironmentOptions(Interpreter: false));
        var task = env.Generate(TaskSeeds.For(1, 1), "t");
        var options = new AgentOptions(Interpreter: false);
        var refused = await RunAsync(env, task, new FixedActionsPolicy($"<code>print({task.Question})</code>", "<answer>1</answer>"), options);
        Assert.Equal("no interpreter here; answer with <answer>...</answer>", refused.Steps[0].Feedback);
        Assert.Equal(0, refused.Timings.SandboxSeconds);
        Assert.Equal(0, refused.Reward.Components["executed"]);
        Assert.Equal("false", refused.Labels["interpreter"]);
        var direct = await RunAsync(env, task, new ScriptedPolicy(), options);
        Assert.Equal($"Q: {task.Question}\n<answer>{task.ExpectedAnswer}</answer>", Text(direct));
        Assert.Equal(1, direct.Reward.Total);
    }

    [Fact]
    public async Task Budgets_end_episodes_as_the_agents_failure()
    {
        var env = new ArithmeticEnvironment(new EnvironmentOptions());
        var task = env.Generate(TaskSeeds.For(1, 2), "t");
        var loops = await RunAsync(env, task, new FixedActionsPolicy("<code>print(1)</code>"), new AgentOptions(MaxTurns: 3));
        Assert.Equal(OutcomeStatus.Truncated, loops.Outcome.Status);
        Assert.Contains("maxTurns=3", loops.Outcome.Message);
        Assert.Equal(3, loops.Steps.Count);
        Assert.Equal(0, loops.Reward.Total);

        var babble = await RunAsync(env, task, new FixedActionsPolicy("the answer is big"), new AgentOptions(MaxTurns: 2));
        Assert.Equal(OutcomeStatus.Malformed, babble.Outcome.Status);
        Assert.Equal("write <code>...</code> or <answer>...</answer>", babble.Steps[1].Feedback);

        var cut = await RunAsync(env, task, new FixedActionsPolicy("<code>print(" + new string('1', 200) + ")</code>"),
            new AgentOptions(MaxTurns: 2, MaxNewTokens: 32));
        Assert.StartsWith("action cut at 32 tokens; close <code> with </code>", cut.Steps[0].Feedback);

        var full = await RunAsync(env, task, new FixedActionsPolicy("<code>print('x'*300)</code>"),
            new AgentOptions(MaxTurns: 50, MaxContextTokens: 200, MaxObservationBytes: 100));
        Assert.Equal(OutcomeStatus.Truncated, full.Outcome.Status);
        Assert.StartsWith("context full", full.Outcome.Message);
        Assert.True(full.Segments.Sum(s => s.TokenIds.Count) <= 200 + 100 + 20);
        Assert.All(full.Steps, s => Assert.True(System.Text.Encoding.UTF8.GetByteCount(s.Observation) <= 100));
    }

    [Fact]
    public async Task An_unreachable_policy_is_an_infrastructure_failure_with_no_reward()
    {
        var env = new ArithmeticEnvironment(new EnvironmentOptions());
        var task = env.Generate(TaskSeeds.For(1, 3), "t");
        var port = AgentOps.Testing.LoopbackPort.Next();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var t = await RunAsync(env, task, new OpenAiChatPolicy(http, new Uri($"http://127.0.0.1:{port}/"), "m"));
        Assert.Equal(OutcomeStatus.InfraPolicyUnavailable, t.Outcome.Status);
        Assert.True(t.Outcome.Status.IsInfrastructureFailure());
        Assert.Contains($"127.0.0.1:{port}", t.Outcome.Message);
        Assert.Empty(t.Reward.Components);
        var grpc = await RunAsync(env, task, GrpcPolicyClient.ForAddress($"http://127.0.0.1:{port}", TimeSpan.FromSeconds(20)));
        Assert.Equal(OutcomeStatus.InfraPolicyUnavailable, grpc.Outcome.Status);
        Assert.StartsWith("policy unavailable: Policy.Generate: Unavailable", grpc.Outcome.Message);
    }

    [Fact]
    public async Task The_episode_wall_limit_is_a_platform_timeout()
    {
        var env = new ArithmeticEnvironment(new EnvironmentOptions());
        var task = env.Generate(TaskSeeds.For(1, 4), "t");
        var t = await RunAsync(env, task, new FixedActionsPolicy("<code>import time; time.sleep(0.4)</code>"),
            new AgentOptions(MaxTurns: 64, EpisodeTimeout: TimeSpan.FromSeconds(1.5)));
        Assert.Equal(OutcomeStatus.InfraPlatformTimeout, t.Outcome.Status);
        Assert.Contains("episodeTimeoutSeconds=1.5", t.Outcome.Message);
    }
}
