using System.Diagnostics.CodeAnalysis;
using AgentOps.Protos.V1;
using static AgentOps.Protos.Wire.ProtoWire;

namespace AgentOps.Protos.Wire;

/// <summary>
/// Builds a <see cref="Trajectory"/> from its protobuf encoding with each list allocated once at its size, for the
/// gateway (validation) and the consumer, the one decoder of a stored trajectory. Google.Protobuf grows a packed repeated int32 by doubling (it cannot know how
/// many varints the bytes hold); here the varints are counted first and <c>RepeatedField.Capacity</c> is set before
/// adding. Per parse of the pipeline bench's trajectories (the parse bench of a19baae): 64 KiB (~10,900 tokens) 188,680
/// bytes allocated by Google.Protobuf, 100,208 here; 4 KiB 14,464 and 7,976.
/// The fast path takes only the plain encoding of
/// trajectory.proto's fields (each known field with its own wire type, repeated scalars packed or one per tag, valid
/// UTF-8); anything else — unknown fields, groups, malformed bytes — is parsed by Google.Protobuf's parser, so the
/// result (and any error) is exactly the parser's.
/// Kept next to Google.Protobuf (issue 15, point 5): in the paired pipeline bench (same session, alternating, load 22-37)
/// it took our CPU per trajectory at 64 KiB from 456-502 µs (Google.Protobuf's parser at gateway and consumer) to
/// 343-431 µs and at 4 KiB from 41-47 to 35-39 µs; the 64 KiB ratio was 0.144 / 0.149 against 0.092 / 0.156.
/// </summary>
public static class TrajectoryWireParser
{
    /// <summary>Equal to <c>Trajectory.Parser.ParseFrom(bytes)</c>; throws <see cref="Google.Protobuf.InvalidProtocolBufferException"/> where it would.</summary>
    public static Trajectory Parse(ReadOnlySpan<byte> bytes) =>
        TryParse(bytes, out var trajectory) ? trajectory : Trajectory.Parser.ParseFrom(bytes);

    /// <summary>The fast path alone: false when the bytes are not the plain encoding (then only the parser can say what they hold).</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out Trajectory? trajectory)
    {
        trajectory = null;
        if (!TryCountLists(bytes, out var segments, out var steps)) return false;
        var t = new Trajectory();
        t.Segments.Capacity = segments;
        t.Steps.Capacity = steps;
        var pos = 0;
        while (pos < bytes.Length)
        {
            // Every field of Trajectory is length-delimited; as in the parser, a scalar given twice keeps the last value
            // and a message given twice (reward, outcome, timings) is merged.
            if (!TryVarint(bytes, ref pos, out var tag) || !TryLength(bytes, ref pos, out var body)) return false;
            string text;
            switch (tag)
            {
                case 10: if (!TryText(body, out text)) return false; t.TrajectoryId = text; break;
                case 18: if (!TryText(body, out text)) return false; t.RunId = text; break;
                case 26: if (!TryText(body, out text)) return false; t.EpisodeId = text; break;
                case 34: if (!TryText(body, out text)) return false; t.TaskId = text; break;
                case 42: if (!TryText(body, out text)) return false; t.Environment = text; break;
                case 50: if (!TryText(body, out text)) return false; t.GroupId = text; break;
                case 58: if (!TryText(body, out text)) return false; t.Split = text; break;
                case 66: if (!TryText(body, out text)) return false; t.Executor = text; break;
                case 74: if (!SegmentWireParser.TryAdd(body, t.Segments)) return false; break;
                case 82: if (!TrajectoryPartsWireParser.TryAddStep(body, t.Steps)) return false; break;
                case 90: if (!TrajectoryPartsWireParser.TryMergeReward(body, t.Reward ??= new Reward())) return false; break;
                case 98: if (!TrajectoryPartsWireParser.TryMergeOutcome(body, t.Outcome ??= new Outcome())) return false; break;
                case 106: if (!TrajectoryPartsWireParser.TryMergeTimings(body, t.Timings ??= new Timings())) return false; break;
                case 114: if (!TrajectoryPartsWireParser.TryAddStringEntry(body, t.Labels)) return false; break;
                default: return false;
            }
        }
        trajectory = t;
        return true;
    }

    /// <summary>How many segments and steps the bytes hold, so that each list is allocated once; false at any field that is not length-delimited.</summary>
    private static bool TryCountLists(ReadOnlySpan<byte> bytes, out int segments, out int steps)
    {
        (segments, steps) = (0, 0);
        var pos = 0;
        while (pos < bytes.Length)
        {
            if (!TryVarint(bytes, ref pos, out var tag) || (tag & 7) != 2 || !TryLength(bytes, ref pos, out _)) return false;
            if (tag == 74) segments++;
            else if (tag == 82) steps++;
        }
        return true;
    }
}
