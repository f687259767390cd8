using System.Buffers.Binary;
using AgentOps.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.Collections;
using static AgentOps.Protos.Wire.ProtoWire;

namespace AgentOps.Protos.Wire;

/// <summary>
/// One <see cref="Segment"/> for <see cref="TrajectoryWireParser"/>: a packed field's values are counted before any is
/// added (varints: bytes with the high bit clear; floats: length / 4) and the list's capacity set to hold them, so the
/// plain encoding (one packed token_ids, one packed logprobs) allocates each array once at its exact size. Values given
/// one per tag (which the parser accepts) are added one at a time, the list growing as the parser's does.
/// </summary>
internal static class SegmentWireParser
{
    public static bool TryAdd(ReadOnlySpan<byte> s, RepeatedField<Segment> segments)
    {
        var segment = new Segment();
        var pos = 0;
        while (pos < s.Length)
        {
            if (!TryVarint(s, ref pos, out var tag)) return false;
            ulong value;
            switch (tag)
            {
                case 8: // kind: an enum is the low 32 bits of its varint
                    if (!TryVarint(s, ref pos, out value)) return false;
                    segment.Kind = (SegmentKind)(int)value;
                    break;
                case 16: // token_ids, one unpacked (int32: the low 32 bits of the varint)
                    if (!TryVarint(s, ref pos, out value)) return false;
                    segment.TokenIds.Add((int)value);
                    break;
                case 18: // token_ids, packed
                    if (!TryLength(s, ref pos, out var packed) || !TryAddVarints(packed, segment.TokenIds)) return false;
                    break;
                case 26: // logprobs, packed
                    if (!TryLength(s, ref pos, out var floats) || !TryAddFloats(floats, segment.Logprobs)) return false;
                    break;
                case 29: // logprobs, one unpacked
                    if (!TryFloat(s, ref pos, out var logprob)) return false;
                    segment.Logprobs.Add(logprob);
                    break;
                case 34: // loss_mask: the last occurrence wins; copied, as the parser copies: the message must not alias the caller's buffer
                    if (!TryLength(s, ref pos, out var mask)) return false;
                    segment.LossMask = ByteString.CopyFrom(mask);
                    break;
                case 40: // policy_version
                    if (!TryVarint(s, ref pos, out value)) return false;
                    segment.PolicyVersion = (long)value;
                    break;
                case 48: // step_index
                    if (!TryVarint(s, ref pos, out value)) return false;
                    segment.StepIndex = (int)value;
                    break;
                default:
                    return false;
            }
        }
        segments.Add(segment);
        return true;
    }

    private static bool TryAddVarints(ReadOnlySpan<byte> packed, RepeatedField<int> ids)
    {
        var count = CountVarints(packed);
        if (count < 0) return false;
        Reserve(ids, count);
        if (count <= PackedScratch.MaxValues) return PackedScratch.TryAddVarints(packed, count, ids);
        for (var p = 0; p < packed.Length;)
        {
            var x = packed[p];
            if (x < 0x80) // a byte token: one byte
            {
                ids.Add(x);
                p++;
            }
            else if (TryVarint(packed, ref p, out var value)) ids.Add((int)value);
            else return false;
        }
        return true;
    }

    private static bool TryAddFloats(ReadOnlySpan<byte> packed, RepeatedField<float> values)
    {
        if (packed.Length % 4 != 0) return false;
        Reserve(values, packed.Length / 4);
        if (packed.Length / 4 <= PackedScratch.MaxValues)
        {
            PackedScratch.AddFloats(packed, values);
            return true;
        }
        for (var p = 0; p < packed.Length; p += 4) values.Add(BinaryPrimitives.ReadSingleLittleEndian(packed[p..]));
        return true;
    }

    private static void Reserve<T>(RepeatedField<T> list, int more)
    {
        if (list.Capacity - list.Count < more) list.Capacity = list.Count + more;
    }
}
