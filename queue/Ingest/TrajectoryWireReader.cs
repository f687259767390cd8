using System.Runtime.Intrinsics;
using System.Text.Unicode;
using AgentOps.Protos.V1;
using static AgentOps.Protos.Wire.ProtoWire;

namespace AgentOps.Protos.Ingest;

/// <summary>
/// Reads a <see cref="TrajectorySummary"/> straight from a serialized Trajectory (protobuf encoding spec: varints, tags,
/// length-delimited and packed fields), so the gateway validates a frame without building the message: parsing one of
/// 4 KiB allocated 14.5 KB (the token ids' array grows by doubling) and the gateway held each parsed batch until Redis
/// answered. Every field is checked to be well formed, nested messages included.
/// The fast path takes only the plain encoding of trajectory.proto's fields (each known field with its own wire type,
/// valid UTF-8 strings); anything else — unknown fields, groups, malformed bytes — is handed to Google.Protobuf's
/// parser, so the result (and any error) is exactly the parser's.
/// </summary>
public static class TrajectoryWireReader
{
    /// <summary>The summary of <paramref name="bytes"/>; throws <see cref="Google.Protobuf.InvalidProtocolBufferException"/> where the parser would.</summary>
    public static TrajectorySummary Read(ReadOnlySpan<byte> bytes) =>
        TryRead(bytes, out var summary) ? summary : TrajectorySummary.Of(Trajectory.Parser.ParseFrom(bytes));

    /// <summary>The fast path alone: false when the bytes are not the plain encoding (then only a parse can say what they hold).</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out TrajectorySummary summary)
    {
        summary = default;
        string id = "", run = "", episode = "", environment = "";
        SegmentProblem? problem = null;
        var segments = 0;
        var pos = 0;
        while (pos < bytes.Length)
        {
            if (!TryVarint(bytes, ref pos, out var tag)) return false;
            switch (tag)
            {
                case 10: // trajectory_id: the last occurrence wins, as in the parser
                    if (!TryString(bytes, ref pos, out id)) return false;
                    break;
                case 18: // run_id
                    if (!TryString(bytes, ref pos, out run)) return false;
                    break;
                case 26: // episode_id
                    if (!TryString(bytes, ref pos, out episode)) return false;
                    break;
                case 42: // environment
                    if (!TryString(bytes, ref pos, out environment)) return false;
                    break;
                case 34 or 50 or 58 or 66: // task_id, group_id, split, executor
                    if (!TryLength(bytes, ref pos, out var text) || !Utf8.IsValid(text)) return false;
                    break;
                case 74: // segments: each occurrence is the next segment
                    if (!TryLength(bytes, ref pos, out var segment) || !TrySegment(segment, segments++, ref problem)) return false;
                    break;
                case 82: // steps
                    if (!TryLength(bytes, ref pos, out var step) || !TryMessage(step, StepField)) return false;
                    break;
                case 90: // reward
                    if (!TryLength(bytes, ref pos, out var reward) || !TryMessage(reward, RewardField)) return false;
                    break;
                case 98: // outcome
                    if (!TryLength(bytes, ref pos, out var outcome) || !TryMessage(outcome, OutcomeField)) return false;
                    break;
                case 106: // timings
                    if (!TryLength(bytes, ref pos, out var timings) || !TryMessage(timings, TimingsField)) return false;
                    break;
                case 114: // labels: map<string, string> entries
                    if (!TryLength(bytes, ref pos, out var label) || !TryMessage(label, LabelEntryField)) return false;
                    break;
                default:
                    return false;
            }
        }
        summary = new TrajectorySummary(id, run, episode, environment, problem);
        return true;
    }

    /// <summary>One Segment: token ids packed (or one per tag), log-probs packed (or one per tag), the loss mask's length.</summary>
    private static bool TrySegment(ReadOnlySpan<byte> s, int index, ref SegmentProblem? problem)
    {
        var (kind, tokens, logprobs, lossMask, badIndex, badId) = (0, 0, 0, 0, -1, 0);
        var pos = 0;
        while (pos < s.Length)
        {
            if (!TryVarint(s, ref pos, out var tag)) return false;
            switch (tag)
            {
                case 8: // kind (an enum is the low 32 bits of its varint)
                    if (!TryVarint(s, ref pos, out var k)) return false;
                    kind = (int)k;
                    break;
                case 16: // token_ids, one unpacked (int32: the low 32 bits of the varint, as ReadInt32 takes them)
                    if (!TryVarint(s, ref pos, out var one)) return false;
                    if (badIndex < 0 && SegmentProblem.OutOfVocabulary((int)one)) (badIndex, badId) = (tokens, (int)one);
                    tokens++;
                    break;
                case 18: // token_ids, packed: varints up to the field's length
                    if (!TryLength(s, ref pos, out var packed) || !TryPackedTokens(packed, ref tokens, ref badIndex, ref badId)) return false;
                    break;
                case 26: // logprobs, packed floats
                    if (!TryLength(s, ref pos, out var floats) || floats.Length % 4 != 0) return false;
                    logprobs += floats.Length / 4;
                    break;
                case 29: // logprobs, one unpacked float
                    if (!TrySkip(s, ref pos, 4)) return false;
                    logprobs++;
                    break;
                case 34: // loss_mask: the last occurrence wins
                    if (!TryLength(s, ref pos, out var mask)) return false;
                    lossMask = mask.Length;
                    break;
                case 40 or 48: // policy_version, step_index
                    if (!TryVarint(s, ref pos, out _)) return false;
                    break;
                default:
                    return false;
            }
        }
        if (problem is null)
        {
            problem = SegmentProblem.OfCounts(index, (SegmentKind)kind, tokens, logprobs, lossMask);
            if (problem is null && badIndex >= 0) problem = SegmentProblem.TokenOutOfRange(index, (SegmentKind)kind, tokens, logprobs, lossMask, badIndex, badId);
        }
        return true;
    }

    /// <summary>
    /// Packed token ids: 16 bytes at a time while none has the high bit set (16 one-byte varints, ids below 128, so in the
    /// vocabulary: byte tokens of ASCII text), else varint by varint to the end of that block, checking each id.
    /// </summary>
    private static bool TryPackedTokens(ReadOnlySpan<byte> packed, ref int tokens, ref int badIndex, ref int badId)
    {
        var p = 0;
        var scalarUntil = 0;
        while (p < packed.Length)
        {
            if (p >= scalarUntil && packed.Length - p >= Vector128<byte>.Count)
            {
                if (Vector128.Create(packed.Slice(p, Vector128<byte>.Count)).ExtractMostSignificantBits() == 0)
                {
                    p += Vector128<byte>.Count;
                    tokens += Vector128<byte>.Count;
                    continue;
                }
                scalarUntil = p + Vector128<byte>.Count;
            }
            if (!TryVarint(packed, ref p, out var v)) return false;
            if (badIndex < 0 && SegmentProblem.OutOfVocabulary((int)v)) (badIndex, badId) = (tokens, (int)v);
            tokens++;
        }
        return true;
    }

    private enum Field
    {
        Unknown,
        Varint,
        Fixed64,
        String,
        RewardComponent,
    }

    private static Field StepField(ulong tag) => tag switch
    {
        8 or 40 => Field.Varint, // index, code_error
        18 or 26 or 34 or 50 => Field.String, // action, code, observation, feedback
        57 or 65 => Field.Fixed64, // sandbox_seconds, generate_seconds
        _ => Field.Unknown,
    };

    private static Field RewardField(ulong tag) => tag switch
    {
        9 => Field.Fixed64, // total
        18 => Field.RewardComponent, // components: map<string, double> entries
        _ => Field.Unknown,
    };

    private static Field RewardComponentField(ulong tag) => tag switch
    {
        10 => Field.String, // key
        17 => Field.Fixed64, // value
        _ => Field.Unknown,
    };

    private static Field OutcomeField(ulong tag) => tag switch
    {
        8 => Field.Varint, // status
        18 or 26 => Field.String, // message, answer
        _ => Field.Unknown,
    };

    private static Field TimingsField(ulong tag) => tag switch
    {
        8 or 16 => Field.Varint, // started_unix_ms, finished_unix_ms
        25 or 33 or 41 => Field.Fixed64, // generate_seconds, sandbox_seconds, total_seconds
        _ => Field.Unknown,
    };

    private static Field LabelEntryField(ulong tag) => tag is 10 or 18 ? Field.String : Field.Unknown;

    /// <summary>A message of scalar and string fields (and Reward's map entries): every field well formed, none unknown.</summary>
    private static bool TryMessage(ReadOnlySpan<byte> m, Func<ulong, Field> fields)
    {
        var pos = 0;
        while (pos < m.Length)
        {
            if (!TryVarint(m, ref pos, out var tag)) return false;
            var ok = fields(tag) switch
            {
                Field.Varint => TryVarint(m, ref pos, out _),
                Field.Fixed64 => TrySkip(m, ref pos, 8),
                Field.String => TryLength(m, ref pos, out var text) && Utf8.IsValid(text),
                Field.RewardComponent => TryLength(m, ref pos, out var entry) && TryMessage(entry, RewardComponentField),
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }
}
