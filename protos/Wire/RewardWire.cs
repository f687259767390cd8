using AgentOps.Protos.V1;
using Google.Protobuf;
using static AgentOps.Protos.Wire.Proto3Fields;

namespace AgentOps.Protos.Wire;

/// <summary>
/// agentops.v1.Reward in the field order of Google.Protobuf's generated WriteTo. Map entries go out in the MapField's
/// own order, each as a nested message whose key and value are left out when default (Google.Protobuf's FieldCodec:
/// a double value compares bitwise, so -0.0 is written and 0.0 is not).
/// </summary>
internal static class RewardWire
{
    private const byte Total = 1 << 3 | WireTags.Fixed64;
    private const byte Components = 2 << 3 | WireTags.LengthDelimited;
    private const byte EntryKey = 1 << 3 | WireTags.LengthDelimited;
    private const byte EntryValue = 2 << 3 | WireTags.Fixed64;

    public static int Measure(Reward reward)
    {
        if (reward.HasUnknownFields) return reward.CalculateSize();
        var size = DoubleSize(reward.Total);
        foreach (var (key, value) in reward.Components) size += 1 + WireSizes.LengthPrefixed(EntrySize(key, value));
        return size;
    }

    /// <param name="size">What <see cref="Measure"/> returned.</param>
    public static void Write(Reward reward, int size, ref WireSpanWriter writer)
    {
        if (reward.HasUnknownFields)
        {
            reward.WriteTo(writer.Take(size));
            return;
        }
        WriteDouble(ref writer, Total, reward.Total);
        foreach (var (key, value) in reward.Components)
        {
            writer.Tag(Components);
            writer.Varint32((uint)EntrySize(key, value));
            WriteString(ref writer, EntryKey, key);
            if (!IsDefault(value))
            {
                writer.Tag(EntryValue);
                writer.Double(value);
            }
        }
    }

    private static int EntrySize(string key, double value) => StringSize(key) + (IsDefault(value) ? 0 : 1 + sizeof(double));

    private static bool IsDefault(double value) => BitConverter.DoubleToInt64Bits(value) == 0;
}
