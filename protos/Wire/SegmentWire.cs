using AgentOps.Protos.V1;
using Google.Protobuf;
using static AgentOps.Protos.Wire.Proto3Fields;

namespace AgentOps.Protos.Wire;

/// <summary>agentops.v1.Segment in the field order and default omission of Google.Protobuf's generated WriteTo.</summary>
internal static class SegmentWire
{
    private const byte Kind = 1 << 3 | WireTags.Varint;
    private const byte TokenIds = 2 << 3 | WireTags.LengthDelimited; // packed varints
    private const byte Logprobs = 3 << 3 | WireTags.LengthDelimited; // packed fixed32
    private const byte LossMask = 4 << 3 | WireTags.LengthDelimited;
    private const byte PolicyVersion = 5 << 3 | WireTags.Varint;
    private const byte StepIndex = 6 << 3 | WireTags.Varint;

    /// <summary>The segment's size; keeps its token_ids data size in <paramref name="plan"/>.</summary>
    public static int Measure(Segment segment, WirePlan plan)
    {
        if (segment.HasUnknownFields) return segment.CalculateSize();
        var size = Int32Size((int)segment.Kind) + Int64Size(segment.PolicyVersion) + Int32Size(segment.StepIndex);
        if (segment.TokenIds.Count > 0)
        {
            var dataSize = plan.Set(plan.Reserve(), PackedInt32.DataSize(RepeatedFieldSpans.Of(segment.TokenIds)));
            size += 1 + WireSizes.LengthPrefixed(dataSize);
        }
        if (segment.Logprobs.Count > 0) size += 1 + WireSizes.LengthPrefixed(segment.Logprobs.Count * sizeof(float));
        if (segment.LossMask.Length > 0) size += 1 + WireSizes.LengthPrefixed(segment.LossMask.Length);
        return size;
    }

    /// <param name="size">What <see cref="Measure"/> returned.</param>
    /// <returns>False when the token ids no longer fit the data size <see cref="Measure"/> kept (they changed since).</returns>
    public static bool Write(Segment segment, int size, WirePlan plan, ref WireSpanWriter writer)
    {
        if (segment.HasUnknownFields)
        {
            segment.WriteTo(writer.Take(size));
            return true;
        }
        WriteInt32(ref writer, Kind, (int)segment.Kind);
        if (segment.TokenIds.Count > 0)
        {
            var dataSize = plan.Next();
            writer.Tag(TokenIds);
            writer.Varint32((uint)dataSize);
            if (!PackedInt32.TryWrite(RepeatedFieldSpans.Of(segment.TokenIds), writer.Take(dataSize))) return false;
        }
        if (segment.Logprobs.Count > 0)
        {
            writer.Tag(Logprobs);
            writer.Varint32((uint)(segment.Logprobs.Count * sizeof(float)));
            writer.Floats(RepeatedFieldSpans.Of(segment.Logprobs));
        }
        if (segment.LossMask.Length > 0)
        {
            writer.Tag(LossMask);
            writer.Bytes(segment.LossMask.Span);
        }
        WriteInt64(ref writer, PolicyVersion, segment.PolicyVersion);
        WriteInt32(ref writer, StepIndex, segment.StepIndex);
        return true;
    }
}
