using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Trainer.Model;
using AgentOps.Trainer.Rollout;
using Google.Protobuf;

namespace AgentOps.Trainer.Tests.Algorithms;

/// <summary>
/// A toy task for RL tests: the prompt shows a digit, the reward is 1 when the first generated token is that
/// digit. Rollouts are sampled from the real model and packed through the real wire format.
/// </summary>
internal static class DigitToy
{
    /// <summary>The digit is the last prompt token, so the answer depends on it directly (learns in seconds).</summary>
    public static int[] Prompt(int digit) => ByteTokenizer.Encode($"Q:{digit}");

    /// <summary>
    /// A noisy demonstration: the right digit with probability <paramref name="correct"/>, else a random one
    /// (DESIGN.md: RL beats SFT where demonstrations are noisy but sampled success is above zero).
    /// </summary>
    public static PackedTrajectory NoisyDemonstration(Random rng, double correct)
    {
        var t = new Trajectory { TrajectoryId = Guid.NewGuid().ToString(), GroupId = "sft", Split = "sft", Reward = new Reward { Total = 1 } };
        var digit = rng.Next(10);
        t.Segments.Add(Segment(SegmentKind.Prompt, Prompt(digit), 0, null));
        t.Segments.Add(Segment(SegmentKind.Generated, [(int)'0' + (rng.NextDouble() < correct ? digit : rng.Next(10))], 0, null));
        return TrajectoryPacker.Pack(t, 64);
    }

    /// <summary>Samples <paramref name="groupSize"/> answers for each of <paramref name="tasks"/> prompts at the current version.</summary>
    public static List<RolloutGroup> Sample(Generator generator, long version, int tasks, int groupSize, Random rng)
    {
        var digits = Enumerable.Range(0, tasks).Select(_ => rng.Next(10)).ToArray();
        var requests = digits.SelectMany(d => Enumerable.Range(0, groupSize).Select(_ =>
            new GenerationRequest(Prompt(d), MaxNewTokens: 1, Temperature: 1f, Seed: (ulong)rng.NextInt64(1, long.MaxValue)))).ToList();
        var results = generator.Generate(requests);
        var groups = new List<RolloutGroup>();
        for (var g = 0; g < tasks; g++)
        {
            var members = new List<PackedTrajectory>();
            for (var k = 0; k < groupSize; k++)
            {
                var r = results[g * groupSize + k];
                var reward = r.Tokens.Length > 0 && r.Tokens[0] == '0' + digits[g] ? 1.0 : 0.0;
                var t = new Trajectory { TrajectoryId = $"{version}-{g}-{k}", GroupId = $"{version}-{g}", Split = "train", Reward = new Reward { Total = reward } };
                t.Segments.Add(Segment(SegmentKind.Prompt, Prompt(digits[g]), 0, null));
                t.Segments.Add(Segment(SegmentKind.Generated, r.Tokens, version, r.LogProbs));
                members.Add(TrajectoryPacker.Pack(t, 64));
            }
            groups.Add(new RolloutGroup($"{version}-{g}", members, 0));
        }
        return groups;
    }

    public static double SuccessRate(IEnumerable<RolloutGroup> groups)
    {
        var rewards = groups.SelectMany(g => g.Members).Select(m => m.Reward).ToArray();
        return rewards.Average();
    }

    private static Segment Segment(SegmentKind kind, int[] tokens, long version, float[]? logprobs)
    {
        var s = new Segment { Kind = kind, PolicyVersion = kind == SegmentKind.Generated ? version : 0 };
        s.TokenIds.AddRange(tokens);
        s.LossMask = ByteString.CopyFrom(Enumerable.Repeat(kind == SegmentKind.Generated ? (byte)1 : (byte)0, tokens.Length).ToArray());
        if (logprobs is not null) s.Logprobs.AddRange(logprobs);
        return s;
    }
}
