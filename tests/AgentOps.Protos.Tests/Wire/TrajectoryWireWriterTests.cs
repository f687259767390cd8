using AgentOps.Protos.V1;
using AgentOps.Protos.Wire;
using AgentOps.Testing.Wire;
using Google.Protobuf;

namespace AgentOps.Protos.Tests.Wire;

/// <summary>The fast serializer against Google.Protobuf's: the same bytes for any trajectory, unknown fields included.</summary>
public sealed class TrajectoryWireWriterTests
{
    private static Trajectory Full(string id = "w-1", int approxBytes = 0) => SampleTrajectories.Full(id, approxBytes: approxBytes);

    public static TheoryData<string> Shapes => new()
    {
        "empty", "small", "full", "4 KiB", "64 KiB", "1 MiB", "empty_strings", "empty_messages", "negative_tokens", "large_tokens",
        "special_tokens", "negative_enums", "negative_int64", "nan_and_negative_zero", "maps", "long_text", "long_mask",
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Writes_the_bytes_Google_Protobuf_writes(string shape)
    {
        var t = Shaped(shape);
        var writer = new TrajectoryWireWriter();
        Assert.Equal(t.CalculateSize(), writer.Size(t));
        var bytes = new byte[t.CalculateSize()];
        writer.Write(t, bytes);
        Assert.Equal(t.ToByteArray(), bytes);
    }

    private static Trajectory Shaped(string shape)
    {
        var t = shape switch
        {
            "empty" => new Trajectory(),
            "small" => SampleTrajectories.Valid("s-1", "run-a"),
            "4 KiB" => Full(approxBytes: 4096),
            "64 KiB" => Full(approxBytes: 64 * 1024),
            _ => Full(),
        };
        switch (shape)
        {
            case "empty_strings":
                t.TrajectoryId = t.RunId = t.EpisodeId = t.Environment = t.Split = "";
                t.Steps[0].Action = t.Steps[1].Feedback = "";
                t.Labels[""] = "";
                t.Labels["only-key"] = "";
                t.Labels[""] = "only-value";
                break;
            case "empty_messages":
                t.Reward = new Reward();
                t.Outcome = new Outcome();
                t.Timings = new Timings();
                t.Segments.Add(new Segment());
                t.Steps.Add(new Step());
                break;
            case "negative_tokens":
                t.Segments[1].TokenIds[0] = -1;
                t.Segments[1].TokenIds[17] = int.MinValue;
                t.Segments[2].TokenIds.Add(-128);
                break;
            case "large_tokens":
                t.Segments[1].TokenIds.AddRange([127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, int.MaxValue]);
                break;
            case "special_tokens": // EOS at the end of a generated segment: one 2-byte id among one-byte ones
                t.Segments[1].TokenIds.Add(258);
                t.Segments[1].TokenIds.Insert(5, 257);
                break;
            case "negative_enums":
                t.Segments[0].Kind = (SegmentKind)(-3);
                t.Outcome.Status = (OutcomeStatus)(-1);
                t.Steps[0].Index = -7;
                t.Segments[2].StepIndex = int.MinValue;
                break;
            case "negative_int64":
                t.Segments[1].PolicyVersion = -1;
                t.Timings.StartedUnixMs = long.MinValue;
                t.Timings.FinishedUnixMs = long.MaxValue;
                break;
            case "nan_and_negative_zero": // singular doubles: -0.0 left out, NaN written; map values and floats compare bitwise
                t.Segments[1].Logprobs[0] = float.NaN;
                t.Segments[1].Logprobs[1] = -0.0f;
                t.Segments[1].Logprobs[2] = float.NegativeInfinity;
                t.Reward.Total = -0.0;
                t.Reward.Components["zero"] = 0.0;
                t.Reward.Components["negative_zero"] = -0.0;
                t.Reward.Components["nan"] = double.NaN;
                t.Timings.GenerateSeconds = double.NaN;
                t.Timings.SandboxSeconds = -0.0;
                t.Steps[0].SandboxSeconds = double.PositiveInfinity;
                break;
            case "maps": // entries in insertion order, a removed one's slot not reused
                foreach (var key in new[] { "z", "a", "m", "b", "y" })
                {
                    t.Labels[key] = key + "-value";
                    t.Reward.Components[key] = key.Length * 0.25;
                }
                t.Labels.Remove("a");
                t.Reward.Components.Remove("z");
                t.Labels["a"] = "again";
                t.Reward.Components["z"] = 2;
                break;
            case "long_text": // past 127 and 16,383 bytes: 2- and 3-byte length prefixes
                t.Steps[0].Observation = new string('x', 200);
                t.Steps[1].Action = string.Concat(Enumerable.Repeat("✓é😀", 3000));
                t.Outcome.Message = new string('m', 127);
                break;
            case "1 MiB": // 3-byte length prefixes for the segment and its packed fields
                var generated = t.Segments[1];
                var ids = Enumerable.Range(0, 180_000).Select(i => 32 + i % 95).ToArray();
                generated.TokenIds.AddRange(ids);
                generated.Logprobs.AddRange(ids.Select(i => -i / 1000f));
                generated.LossMask = ByteString.CopyFrom(Enumerable.Repeat((byte)1, generated.TokenIds.Count).ToArray());
                break;
            case "long_mask":
                t.Segments[1].LossMask = ByteString.CopyFrom(new byte[70_000]);
                break;
        }
        return t;
    }

    [Fact]
    public void Random_trajectories_serialize_as_Google_Protobuf_serializes_them()
    {
        var random = new Random(11);
        var writer = new TrajectoryWireWriter(); // one writer for all: its kept sizes grow and are reset
        for (var n = 0; n < 3000; n++)
        {
            var t = RandomTrajectories.Next(random);
            Assert.Equal(t.ToByteArray(), writer.ToByteArray(t));
        }
    }

    [Fact]
    public void Unknown_fields_at_any_depth_are_written_back_as_Google_Protobuf_writes_them()
    {
        var t = Full();
        byte[] unknown = [0xC0, 0x3E, 0x07]; // field 1000 = 7
        // each nested message re-encoded with the unknown field after its own, then the trajectory around them
        var segment = WithUnknown(t.Segments[1].ToByteArray(), unknown);
        var step = WithUnknown(t.Steps[0].ToByteArray(), unknown);
        var reward = WithUnknown(t.Reward.ToByteArray(), unknown);
        var outcome = WithUnknown(t.Outcome.ToByteArray(), unknown);
        var timings = WithUnknown(t.Timings.ToByteArray(), unknown);
        byte[] nested = [.. t.ToByteArray(), .. Field(9, segment), .. Field(10, step), .. Field(11, reward), .. Field(12, outcome), .. Field(13, timings)];
        var parsedNested = Trajectory.Parser.ParseFrom(nested);
        Assert.Equal(parsedNested.ToByteArray(), new TrajectoryWireWriter().ToByteArray(parsedNested));
        Assert.Contains(unknown[0], new TrajectoryWireWriter().ToByteArray(parsedNested)); // the unknown tag made it out

        var parsedTop = Trajectory.Parser.ParseFrom([.. t.ToByteArray(), .. unknown]);
        Assert.Equal(parsedTop.ToByteArray(), new TrajectoryWireWriter().ToByteArray(parsedTop));
        Assert.Equal([.. t.ToByteArray(), .. unknown], new TrajectoryWireWriter().ToByteArray(parsedTop));
    }

    private static byte[] WithUnknown(byte[] message, byte[] unknown) => [.. message, .. unknown];

    private static byte[] Field(int number, byte[] message)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(message));
        output.Flush();
        return stream.ToArray();
    }

    [Fact]
    public void Trajectories_parsed_from_mutated_bytes_serialize_as_Google_Protobuf_serializes_them()
    {
        var random = new Random(5);
        var original = Full(approxBytes: 600).ToByteArray();
        var writer = new TrajectoryWireWriter();
        var parsed = 0;
        for (var n = 0; n < 2000; n++)
        {
            var bytes = original.ToArray();
            for (var edits = random.Next(1, 4); edits > 0; edits--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            Trajectory t;
            try { t = Trajectory.Parser.ParseFrom(bytes); }
            catch (InvalidProtocolBufferException) { continue; }
            parsed++;
            Assert.Equal(t.ToByteArray(), writer.ToByteArray(t));
        }
        Assert.InRange(parsed, 200, 2000); // the parser took enough of them to mean something
    }

    [Fact]
    public void Text_that_is_not_valid_UTF16_is_written_as_Google_Protobuf_writes_it()
    {
        var t = Full();
        t.Steps[0].Observation = "lone high \uD800 surrogate";
        t.Labels["low"] = "\uDC00";
        t.Outcome.Answer = new string('a', 100) + "\uD83D"; // past Google.Protobuf's short-string path
        Assert.Equal(t.ToByteArray(), new TrajectoryWireWriter().ToByteArray(t));
    }

    [Fact]
    public void Write_reuses_the_sizes_of_Size_only_for_the_same_message()
    {
        var writer = new TrajectoryWireWriter();
        var a = Full("a", approxBytes: 4096);
        var b = Full("b");
        b.Segments.Add(new Segment { Kind = SegmentKind.Feedback, TokenIds = { 1, 2, 3 } });
        writer.Size(a);
        var bytes = new byte[b.CalculateSize()];
        writer.Write(b, bytes); // sized b itself: a's sizes do not fit it
        Assert.Equal(b.ToByteArray(), bytes);

        // a change that keeps every size writes the message as it is now
        writer.Size(a);
        a.Segments[1].TokenIds[0] = 33;
        a.Segments[1].Logprobs[0] = -9f;
        bytes = new byte[a.CalculateSize()];
        writer.Write(a, bytes);
        Assert.Equal(a.ToByteArray(), bytes);

        var wrong = Assert.Throws<ArgumentException>(() => writer.Write(a, new byte[bytes.Length + 1]));
        Assert.Contains($"is {bytes.Length}", wrong.Message);
    }

    [Fact]
    public void A_change_between_Size_and_Write_that_moves_sizes_is_refused_naming_the_field()
    {
        var writer = new TrajectoryWireWriter();
        var t = Full("m-1", approxBytes: 4096);
        var size = writer.Size(t);
        t.Segments[1].TokenIds[0] = 300; // two bytes now
        var grew = Assert.Throws<InvalidOperationException>(() => writer.Write(t, new byte[size]));
        Assert.Contains("segments[1].token_ids", grew.Message);

        size = writer.Size(t);
        t.Segments[1].TokenIds[0] = 33; // one byte again
        var shrank = Assert.Throws<InvalidOperationException>(() => writer.Write(t, new byte[size]));
        Assert.Contains("segments[1].token_ids", shrank.Message);

        size = writer.Size(t);
        t.Segments[1].Logprobs.Add(-1f); // segment 1 grows by four bytes...
        t.Steps[0].Action = t.Steps[0].Action[..^4]; // ...and step 0 shrinks by four: the same total
        var moved = Assert.Throws<InvalidOperationException>(() => writer.Write(t, new byte[size]));
        Assert.Contains("segments[1] was sized", moved.Message);
    }
}
