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
