using AgentOps.Protos.V1;
using AgentOps.Protos.Wire;
using AgentOps.Testing.Wire;
using Google.Protobuf;

namespace AgentOps.Protos.Tests.Wire;

/// <summary>The consumer's Trajectory parser against Google.Protobuf's: an equal message (and the same re-encoding), or the same error, for any bytes.</summary>
public sealed class TrajectoryWireParserTests
{
    public static TheoryData<string> Shapes => new() { "small", "full", "4 KiB", "64 KiB", "empty", "multi-byte tokens", "edge values", "many segments", "over the scratch" };

    private static Trajectory Sample(string shape)
    {
        switch (shape)
        {
            case "small": return SampleTrajectories.Valid("w-1", "run-a");
            case "full": return SampleTrajectories.Full();
            case "4 KiB": return SampleTrajectories.Full(approxBytes: 4096);
            case "64 KiB": return SampleTrajectories.Full(approxBytes: 64 * 1024);
            case "empty": return new Trajectory();
            case "multi-byte tokens": // specials and bytes >= 128 are 2-byte varints, negative ids 10-byte ones
                var multi = SampleTrajectories.Full();
                multi.Segments[1].TokenIds[0] = 128;
                multi.Segments[1].TokenIds[1] = 258;
                multi.Segments[1].TokenIds[2] = -1;
                multi.Segments[1].TokenIds[3] = int.MaxValue;
                multi.Segments[1].TokenIds[4] = int.MinValue;
                return multi;
            case "edge values": // bits the parser keeps as they are: NaN payloads, -0, extreme integers, enum values this build does not name
                var edge = SampleTrajectories.Full();
                edge.Segments[1].Logprobs[0] = BitConverter.Int32BitsToSingle(0x7FC0_0001);
                edge.Segments[1].Logprobs[1] = -0f;
                edge.Segments[1].PolicyVersion = long.MinValue;
                edge.Segments[2].StepIndex = -5;
                edge.Segments[0].Kind = (SegmentKind)77;
                edge.Outcome.Status = (OutcomeStatus)(-3);
                edge.Reward.Total = BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0042);
                edge.Reward.Components[""] = double.NegativeInfinity;
                edge.Labels[""] = "";
                edge.Timings.StartedUnixMs = long.MaxValue;
                edge.Timings.FinishedUnixMs = -1;
                edge.Steps[0].Index = int.MinValue;
                return edge;
            case "many segments": // a multi-turn episode: 41 segments, 20 steps
                var many = SampleTrajectories.Full();
                for (var turn = 1; turn <= 20; turn++)
                {
                    many.Segments.Add(many.Segments[1].Clone());
                    many.Segments.Add(new Segment { Kind = SegmentKind.ToolOutput, StepIndex = turn, TokenIds = { 60, 62 }, LossMask = ByteString.CopyFrom(0, 0) });
                    many.Steps.Add(new Step { Index = turn, Action = $"turn {turn}" });
                }
                return many;
            case "over the scratch": // a segment with more values than PackedScratch keeps per thread: added one at a time
                var longer = SampleTrajectories.Full();
                var generated = longer.Segments[1];
                for (var i = generated.TokenIds.Count; i <= PackedScratch.MaxValues; i++)
                {
                    generated.TokenIds.Add(i % 300);
                    generated.Logprobs.Add(-i / 1e5f);
                }
                generated.LossMask = ByteString.CopyFrom(Enumerable.Repeat((byte)1, generated.TokenIds.Count).ToArray());
                return longer;
            default: throw new ArgumentOutOfRangeException(nameof(shape), shape, "no such sample");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_plain_encoding_is_built_without_the_parser_equal_to_its_result(string shape)
    {
        var bytes = Sample(shape).ToByteArray();
        Assert.True(TrajectoryWireParser.TryParse(bytes, out var built));
        AssertEqualMessages(Trajectory.Parser.ParseFrom(bytes), built);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Each_list_of_a_plain_encoding_is_allocated_once_at_its_size(string shape)
    {
        Assert.True(TrajectoryWireParser.TryParse(Sample(shape).ToByteArray(), out var t));
        Assert.Equal(t.Segments.Count, t.Segments.Capacity);
        Assert.Equal(t.Steps.Count, t.Steps.Capacity);
        foreach (var s in t.Segments)
        {
            Assert.Equal(s.TokenIds.Count, s.TokenIds.Capacity);
            Assert.Equal(s.Logprobs.Count, s.Logprobs.Capacity);
        }
        // the parser's token lists grow by doubling (what this parser is for); the check needs a list longer than its first array
        if (shape == "64 KiB") Assert.True(Trajectory.Parser.ParseFrom(Sample(shape).ToByteArray()).Segments[1].TokenIds.Capacity > t.Segments[1].TokenIds.Count);
    }

    [Fact]
    public void Unusual_encodings_the_parser_accepts_are_built_as_it_builds_them()
    {
        var plain = SampleTrajectories.Full().ToByteArray();
        var segment = Encode(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteEnum((int)SegmentKind.Generated);
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(65); // token_ids one per tag
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(300);
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(67, 68)); // then a packed chunk
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.Empty); // and an empty one
            o.WriteTag(3, WireFormat.WireType.Fixed32); o.WriteFloat(-1f); // logprobs one per tag, then packed
            o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom([0, 0, 0x80, 0xBF, 0, 0, 0, 0xC0, 0, 0, 0x40, 0xC0]));
            o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(1)); // loss_mask twice: the last wins
            o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(1, 1, 1, 1));
            o.WriteTag(5, WireFormat.WireType.Varint); o.WriteInt64(3);
            o.WriteTag(5, WireFormat.WireType.Varint); o.WriteInt64(4); // a scalar twice: the last wins
        });
        var reward = Encode(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Fixed64); o.WriteDouble(0.25);
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(0x11, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F)); // value only: key ""
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(0x0A, 1, (byte)'z')); // key only: value 0
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(Entry("correct", 0.5)); // a key given again replaces its value in place
        });
        var labels = Encode(o =>
        {
            o.WriteTag(14, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(0x12, 1, (byte)'v', 0x0A, 1, (byte)'k')); // value before key
            o.WriteTag(14, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(0x0A, 4, (byte)'p', (byte)'o', (byte)'o', (byte)'l', 0x12, 0)); // "pool" again, now ""
        });
        var step = Encode(o =>
        {
            o.WriteTag(5, WireFormat.WireType.Varint); o.WriteUInt64(2); // a bool as 2 (true)
            o.WriteTag(5, WireFormat.WireType.Varint); o.WriteUInt64(ulong.MaxValue); // and as a 10-byte varint
        });
        byte[] bytes =
        [
            .. plain,
            .. Field(9, segment),
            .. Field(11, reward), // reward given twice: merged into the first
            .. Field(12, Encode(o => { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString("again"); })),
            .. Field(13, Encode(o => { o.WriteTag(5, WireFormat.WireType.Fixed64); o.WriteDouble(9.5); })),
            .. labels,
            .. Field(10, step),
            .. Field(1, Encode(o => o.WriteRawTag(0x77))), // trajectory_id twice: the last wins ("w")
            0xBA, 0x00, 0x01, (byte)'x', // split with its tag as a 2-byte varint (non-minimal)
        ];
        Assert.True(TrajectoryWireParser.TryParse(bytes, out var built));
        var parsed = Trajectory.Parser.ParseFrom(bytes);
        AssertEqualMessages(parsed, built);
        Assert.Equal([65, 300, 67, 68], parsed.Segments[^1].TokenIds); // the encodings above mean what they say
        Assert.Equal(["correct", "format", "", "z"], parsed.Reward.Components.Keys);
        Assert.Equal("x", parsed.Split);
    }

    public static TheoryData<string> Unhandled => new() { "unknown top-level field", "unknown segment field", "unknown step field", "unknown map entry field", "id as a varint", "bad UTF-8", "group", "invalid tag 0" };

    [Theory]
    [MemberData(nameof(Unhandled))]
    public void What_the_fast_path_does_not_handle_is_left_to_the_parser(string kind)
    {
        var t = SampleTrajectories.Full();
        var plain = t.ToByteArray();
        byte[] bytes = kind switch
        {
            "unknown top-level field" => [.. plain, 0xC0, 0x3E, 0x07], // field 1000 = 7
            "unknown segment field" => [.. plain, .. Field(9, [0x08, 0x01, 0x78, 0x05])], // field 15 = 5
            "unknown step field" => [.. plain, .. Field(10, [0x08, 0x01, 0x78, 0x05])],
            "unknown map entry field" => [.. plain, .. Field(14, [0x0A, 0x01, (byte)'k', 0x18, 0x01])], // the parser skips it
            "id as a varint" => [.. plain, 0x08, 0x05], // field 1 with the wrong wire type: an unknown field to the parser
            "bad UTF-8" => [.. plain, .. Field(10, [0x12, 0x02, 0xC3, 0x28])],
            "group" => [.. plain, 0xA3, 0x01, 0x08, 0x01, 0xA4, 0x01], // field 20 as a group
            _ => [.. plain, 0x00, 0x01],
        };
        Assert.False(TrajectoryWireParser.TryParse(bytes, out _));
        AssertSameAsParser(bytes);
    }

    [Fact]
    public void Mutated_bytes_give_what_the_parser_gives()
    {
        var random = new Random(11);
        var unpacked = Encode(o =>
        {
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(65);
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(-1);
            o.WriteTag(3, WireFormat.WireType.Fixed32); o.WriteFloat(-0.5f);
            o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(1, 1));
        });
        var originals = new[]
        {
            SampleTrajectories.Full(approxBytes: 600).ToByteArray(),
            Sample("edge values").ToByteArray(),
            [.. SampleTrajectories.Full().ToByteArray(), .. Field(9, unpacked)],
        };
        var (fast, refused) = (0, 0);
        for (var n = 0; n < 6000; n++)
        {
            var (isFast, isRefused) = AssertSameAsParser(WireMutations.Mutate(originals[n % originals.Length], random));
            fast += isFast ? 1 : 0;
            refused += isRefused ? 1 : 0;
        }
        // both paths were exercised: bytes the fast path built, and bytes the parser refused
        Assert.InRange(fast, 500, 6000);
        Assert.InRange(refused, 500, 6000);
    }

    /// <summary>Parse gives what the parser gives (an equal message, or an error of the same type and message); TryParse either agrees or declines.</summary>
    private static (bool Fast, bool Refused) AssertSameAsParser(byte[] bytes)
    {
        Trajectory? expected = null;
        Exception? expectedError = null;
        try { expected = Trajectory.Parser.ParseFrom(bytes); }
        catch (Exception e) { expectedError = e; }
        var fast = TrajectoryWireParser.TryParse(bytes, out var built);
        if (expectedError is not null)
        {
            Assert.False(fast); // the fast path never builds what the parser refuses
            var actual = Assert.ThrowsAny<Exception>(() => TrajectoryWireParser.Parse(bytes));
            Assert.Equal(expectedError.GetType(), actual.GetType());
            Assert.Equal(expectedError.Message, actual.Message);
            return (false, true);
        }
        AssertEqualMessages(expected!, TrajectoryWireParser.Parse(bytes));
        if (fast) AssertEqualMessages(expected!, built!);
        return (fast, false);
    }

    /// <summary>Equal as messages, and equal when encoded again (which also compares the maps' order).</summary>
    private static void AssertEqualMessages(Trajectory expected, Trajectory actual)
    {
        Assert.Equal(expected, actual);
        Assert.Equal(expected.ToByteArray(), actual.ToByteArray());
    }

    private static byte[] Encode(Action<CodedOutputStream> write)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        write(output);
        output.Flush();
        return stream.ToArray();
    }

    private static byte[] Field(int number, byte[] body) =>
        Encode(o => { o.WriteTag(number, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(body)); });

    private static ByteString Entry(string key, double value) =>
        ByteString.CopyFrom(Encode(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(key); o.WriteTag(2, WireFormat.WireType.Fixed64); o.WriteDouble(value); }));
}
