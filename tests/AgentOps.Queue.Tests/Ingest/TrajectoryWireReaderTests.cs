using AgentOps.Protos.Ingest;
using AgentOps.Protos.V1;
using AgentOps.Testing.Wire;
using Google.Protobuf;

namespace AgentOps.Protos.Tests.Ingest;

/// <summary>The gateway's wire reader against Google.Protobuf's parser: the same summary, or the same refusal, for any bytes.</summary>
public sealed class TrajectoryWireReaderTests
{
    private static Trajectory Full(string id = "w-1", int approxBytes = 0) => SampleTrajectories.Full(id, approxBytes: approxBytes);

    public static TheoryData<string> Plain => new() { "small", "4 KiB", "64 KiB", "mask_length", "logprob_length", "logprobs_on_prompt", "token_range", "token_range_late", "two_byte_tokens", "negative_token", "unknown_kind", "empty" };

    [Theory]
    [MemberData(nameof(Plain))]
    public void A_plain_encoding_is_read_without_the_parser_and_agrees_with_it(string kind)
    {
        var t = kind switch
        {
            "4 KiB" or "token_range_late" or "two_byte_tokens" => Full(approxBytes: 4096),
            "64 KiB" => Full(approxBytes: 64 * 1024),
            "empty" => new Trajectory(),
            _ => Full(),
        };
        switch (kind)
        {
            case "mask_length": t.Segments[1].LossMask = ByteString.CopyFrom(1, 1, 1); break;
            case "logprob_length": t.Segments[1].Logprobs.RemoveAt(0); break;
            case "logprobs_on_prompt": t.Segments[0].Logprobs.Add(-0.5f); break;
            case "token_range": t.Segments[1].TokenIds[3] = 999; break;
            // past the first 16-byte blocks of ASCII ids, which the reader takes a block at a time
            case "token_range_late": t.Segments[1].TokenIds[^5] = 300; break;
            case "two_byte_tokens": // ids 128-258 (two bytes each) inside runs of one-byte ids: in the vocabulary
                for (var i = 20; i < t.Segments[1].TokenIds.Count; i += 37) t.Segments[1].TokenIds[i] = 128 + i % 131;
                break;
            case "negative_token": t.Segments[2].TokenIds[1] = -1; break; // a 10-byte varint
            case "unknown_kind": // a kind this build does not know, named by its number
                t.Segments[0].Kind = (SegmentKind)7;
                t.Segments[0].Logprobs.Add(-0.5f);
                break;
        }
        var bytes = t.ToByteArray();
        Assert.True(TrajectoryWireReader.TryRead(bytes, out var summary));
        Assert.Equal(TrajectorySummary.Of(t), summary);
        if (kind is not ("small" or "4 KiB" or "64 KiB" or "empty" or "two_byte_tokens")) Assert.NotNull(summary.FirstSegmentProblem);
        if (kind is "two_byte_tokens") Assert.Null(summary.FirstSegmentProblem);
    }

    [Fact]
    public void Unpacked_repeated_fields_and_repeated_scalars_read_as_the_parser_reads_them()
    {
        var t = Full();
        // segment 0 again with token_ids and logprobs one per tag (proto2 style, which a proto3 parser accepts),
        // a second packed chunk, and the loss mask given twice (the last one wins)
        var segment = new List<byte> { 0x08, 0x02 }; // kind GENERATED
        segment.AddRange([0x10, 0x41, 0x10, 0x42]); // token_ids 65, 66 unpacked
        segment.AddRange([0x12, 0x02, 0x43, 0x44]); // token_ids 67, 68 packed
        segment.AddRange([0x1D, 0, 0, 0x80, 0xBF, 0x1A, 0x0C, 0, 0, 0x80, 0xBF, 0, 0, 0x80, 0xBF, 0, 0, 0x80, 0xBF]); // 1 + 3 log-probs
        segment.AddRange([0x22, 0x01, 0x01, 0x22, 0x04, 1, 1, 1, 1]); // loss_mask twice
        byte[] bytes = [.. t.ToByteArray(), 0x4A, (byte)segment.Count, .. segment, 0x0A, 0x03, (byte)'w', (byte)'-', (byte)'2'];
        Assert.True(TrajectoryWireReader.TryRead(bytes, out var summary));
        var parsed = Trajectory.Parser.ParseFrom(bytes);
        Assert.Equal("w-2", parsed.TrajectoryId); // trajectory_id given twice: the last one
        Assert.Equal(4, parsed.Segments[3].TokenIds.Count);
        Assert.Equal(TrajectorySummary.Of(parsed), summary);
    }

    [Fact]
    public void Unknown_fields_and_bad_utf8_go_to_the_parser()
    {
        var t = Full();
        byte[] unknown = [.. t.ToByteArray(), 0xC0, 0x3E, 0x07]; // field 1000 = 7
        Assert.False(TrajectoryWireReader.TryRead(unknown, out _));
        Assert.Equal(TrajectorySummary.Of(t), TrajectoryWireReader.Read(unknown));

        byte[] badText = [0x0A, 0x02, 0xC3, 0x28, .. t.ToByteArray()[(2 + t.TrajectoryId.Length)..]]; // trajectory_id not UTF-8
        Assert.False(TrajectoryWireReader.TryRead(badText, out _));
        Assert.Equal(TrajectorySummary.Of(Trajectory.Parser.ParseFrom(badText)), TrajectoryWireReader.Read(badText));
    }

    [Fact]
    public void Mutated_bytes_are_read_exactly_as_the_parser_reads_them()
    {
        var random = new Random(7);
        var original = Full(approxBytes: 600).ToByteArray();
        var (fast, refused) = (0, 0);
        for (var n = 0; n < 4000; n++)
        {
            var bytes = WireMutations.Mutate(original, random);
            object expected, actual;
            try { expected = TrajectorySummary.Of(Trajectory.Parser.ParseFrom(bytes)); }
            catch (InvalidProtocolBufferException e) { expected = e.Message; }
            try { actual = TrajectoryWireReader.Read(bytes); }
            catch (InvalidProtocolBufferException e) { actual = e.Message; }
            Assert.Equal(expected, actual);
            if (TrajectoryWireReader.TryRead(bytes, out var summary))
            {
                fast++;
                Assert.Equal(expected, summary); // the fast path never takes what the parser refuses
            }
            if (expected is string) refused++;
        }
        // both paths were exercised: bytes the fast path read, and bytes the parser refused
        Assert.InRange(fast, 200, 4000);
        Assert.InRange(refused, 200, 4000);
    }
}
