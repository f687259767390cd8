using AgentOps.Protos.V1;
using Google.Protobuf;

namespace AgentOps.Protos.Tests.Wire;

/// <summary>Seeded random trajectories that reach every field and the encodings' edges: defaults, negatives, NaN, long text.</summary>
internal static class RandomTrajectories
{
    private static readonly int[] EdgeInts = [0, 1, 127, 128, 255, 256, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, int.MaxValue, -1, int.MinValue];
    private static readonly string[] Pieces = ["a", "Z", "0", " ", "_", "<code>", "é", "✓", "😀", "\n", "\0"];

    public static Trajectory Next(Random r)
    {
        var t = new Trajectory
        {
            TrajectoryId = Text(r), RunId = Text(r), EpisodeId = Text(r), TaskId = Text(r),
            Environment = Text(r), GroupId = Text(r), Split = Text(r), Executor = Text(r),
        };
        for (var n = r.Next(5); n > 0; n--) t.Segments.Add(Segment(r));
        for (var n = r.Next(4); n > 0; n--) t.Steps.Add(Step(r));
        if (r.Next(4) > 0)
        {
            t.Reward = new Reward { Total = Double(r) };
            for (var n = r.Next(4); n > 0; n--) t.Reward.Components[Text(r)] = Double(r);
        }
        if (r.Next(4) > 0) t.Outcome = new Outcome { Status = (OutcomeStatus)Int(r), Message = Text(r), Answer = Text(r) };
        if (r.Next(4) > 0)
        {
            t.Timings = new Timings
            {
                StartedUnixMs = Long(r), FinishedUnixMs = Long(r),
                GenerateSeconds = Double(r), SandboxSeconds = Double(r), TotalSeconds = Double(r),
            };
        }
        for (var n = r.Next(4); n > 0; n--) t.Labels[Text(r)] = Text(r);
        return t;
    }

    private static Segment Segment(Random r)
    {
        var s = new Segment { Kind = (SegmentKind)Int(r), PolicyVersion = Long(r), StepIndex = Int(r) };
        var count = r.Next(4) == 0 ? 0 : r.Next(1, 200);
        var ascii = r.Next(2) == 0; // the byte tokenizer's usual case: every id one byte
        for (var i = 0; i < count; i++) s.TokenIds.Add(ascii ? r.Next(128) : TokenId(r));
        for (var i = r.Next(3) == 0 ? 0 : count; i > 0; i--) s.Logprobs.Add(Float(r));
        if (r.Next(3) > 0)
        {
            var mask = new byte[r.Next(r.Next(8) == 0 ? 20_000 : 200)];
            r.NextBytes(mask);
            s.LossMask = ByteString.CopyFrom(mask);
        }
        return s;
    }

    private static Step Step(Random r) => new()
    {
        Index = Int(r), Action = Text(r), Code = Text(r), Observation = Text(r), CodeError = r.Next(2) == 0,
        Feedback = Text(r), SandboxSeconds = Double(r), GenerateSeconds = Double(r),
    };

    private static int TokenId(Random r) => r.Next(10) switch
    {
        < 6 => r.Next(260),
        < 8 => EdgeInts[r.Next(EdgeInts.Length)],
        8 => r.Next(),
        _ => r.Next(int.MinValue, 0),
    };

    private static int Int(Random r) => r.Next(3) switch { 0 => 0, 1 => r.Next(-3, 200), _ => EdgeInts[r.Next(EdgeInts.Length)] };

    private static long Long(Random r) => r.Next(4) switch { 0 => 0, 1 => r.NextInt64(), 2 => -r.NextInt64(), _ => r.Next(300) };

    private static double Double(Random r) => r.Next(6) switch
    {
        0 => 0.0,
        1 => -0.0,
        2 => double.NaN,
        3 => BitConverter.Int64BitsToDouble(r.NextInt64() * (r.Next(2) == 0 ? 1 : -1)),
        _ => r.NextDouble() * 100,
    };

    private static float Float(Random r) => r.Next(8) switch
    {
        0 => -0.0f,
        1 => float.NaN,
        2 => BitConverter.Int32BitsToSingle(r.Next(int.MinValue, int.MaxValue)),
        _ => -(float)r.NextDouble() * 10,
    };

    private static string Text(Random r)
    {
        if (r.Next(3) == 0) return "";
        var pieces = r.Next(10) == 0 ? r.Next(100, 400) : r.Next(1, 12); // some past 127 bytes: a 2-byte length prefix
        return string.Concat(Enumerable.Range(0, pieces).Select(_ => Pieces[r.Next(Pieces.Length)]));
    }
}
