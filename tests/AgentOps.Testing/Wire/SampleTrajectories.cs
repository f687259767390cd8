using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using Google.Protobuf;

namespace AgentOps.Testing.Wire;

/// <summary>Trajectories that pass the gateway's validation (prompt + generated + tool output segments).</summary>
public static class SampleTrajectories
{
    /// <param name="approxBytes">When set, the generated segment grows until the serialized size reaches it.</param>
    public static Trajectory Valid(string id, string run, string environment = "arithmetic", int approxBytes = 0, int seed = 1)
    {
        var t = Build(id, run, environment, 24, seed);
        if (approxBytes <= 0) return t;
        var tokens = Math.Max(24, approxBytes / 7);
        while ((t = Build(id, run, environment, tokens, seed)).CalculateSize() < approxBytes) tokens += 16;
        return t;
    }

    /// <summary><see cref="Valid"/> with every field of trajectory.proto set: steps, timings, labels, reward components, outcome message.</summary>
    public static Trajectory Full(string id = "w-1", string run = "run-a", int approxBytes = 0)
    {
        var t = Valid(id, run, approxBytes: approxBytes);
        t.Steps.Add(new Step { Index = 0, Action = "think <code>print(17 * 23)</code>", Code = "print(17 * 23)", Observation = "391", SandboxSeconds = 0.25, GenerateSeconds = 1.5 });
        t.Steps.Add(new Step { Index = 1, Action = "<answer>391</answer>", CodeError = true, Feedback = "ünïcode feedback ✓" });
        t.Timings = new Timings { StartedUnixMs = 1_700_000_000_000, FinishedUnixMs = 1_700_000_001_500, GenerateSeconds = 1.5, SandboxSeconds = 0.25, TotalSeconds = 1.75 };
        t.Labels["runtime"] = "runsc";
        t.Labels["pool"] = "warm";
        t.Reward.Components["format"] = 0.5;
        t.Outcome.Message = "correct";
        return t;
    }

    private static Trajectory Build(string id, string run, string environment, int generatedTokens, int seed)
    {
        var random = new Random(seed);
        var prompt = ByteTokenizer.Encode("What is 17 * 23? Use <code>...</code> then <answer>...</answer>.");
        var generated = Enumerable.Range(0, generatedTokens).Select(_ => random.Next(32, 127)).ToArray();
        var output = ByteTokenizer.Encode("<output>391</output>");
        var t = new Trajectory
        {
            TrajectoryId = id,
            RunId = run,
            EpisodeId = "ep-" + id,
            TaskId = "task-1",
            Environment = environment,
            GroupId = "g-1",
            Split = "train",
            Executor = "test",
            Reward = new Reward { Total = 1.0, Components = { ["correct"] = 1.0 } },
            Outcome = new Outcome { Status = OutcomeStatus.Answered, Answer = "391" },
        };
        t.Segments.Add(new Segment { Kind = SegmentKind.Prompt, TokenIds = { prompt }, LossMask = ByteString.CopyFrom(new byte[prompt.Length]) });
        var gen = new Segment { Kind = SegmentKind.Generated, TokenIds = { generated }, PolicyVersion = 3, StepIndex = 0 };
        gen.Logprobs.AddRange(generated.Select(_ => -(float)random.NextDouble()));
        gen.LossMask = ByteString.CopyFrom(Enumerable.Repeat((byte)1, generated.Length).ToArray());
        t.Segments.Add(gen);
        t.Segments.Add(new Segment { Kind = SegmentKind.ToolOutput, TokenIds = { output }, LossMask = ByteString.CopyFrom(new byte[output.Length]), StepIndex = 1 });
        return t;
    }
}
