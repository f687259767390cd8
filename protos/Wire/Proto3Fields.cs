namespace AgentOps.Protos.Wire;

/// <summary>
/// Singular proto3 scalar fields as Google.Protobuf's generated code sizes and writes them: a tag byte and the value, or
/// nothing when the value is the default (empty string, 0, false; a double when <c>== 0D</c>, so -0.0 is left out and NaN written).
/// </summary>
internal static class Proto3Fields
{
    public static int StringSize(string value) => value.Length == 0 ? 0 : 1 + WireSizes.String(value);

    public static int Int32Size(int value) => value == 0 ? 0 : 1 + WireSizes.Int32(value);

    public static int Int64Size(long value) => value == 0 ? 0 : 1 + WireSizes.Int64(value);

    public static int BoolSize(bool value) => value ? 2 : 0;

    public static int DoubleSize(double value) => value == 0D ? 0 : 1 + sizeof(double);

    public static void WriteString(ref WireSpanWriter writer, byte tag, string value)
    {
        if (value.Length == 0) return;
        writer.Tag(tag);
        writer.String(value);
    }

    public static void WriteInt32(ref WireSpanWriter writer, byte tag, int value)
    {
        if (value == 0) return;
        writer.Tag(tag);
        writer.Int32(value);
    }

    public static void WriteInt64(ref WireSpanWriter writer, byte tag, long value)
    {
        if (value == 0) return;
        writer.Tag(tag);
        writer.Varint64((ulong)value);
    }

    public static void WriteBool(ref WireSpanWriter writer, byte tag, bool value)
    {
        if (!value) return;
        writer.Tag(tag);
        writer.Varint32(1);
    }

    public static void WriteDouble(ref WireSpanWriter writer, byte tag, double value)
    {
        if (value == 0D) return;
        writer.Tag(tag);
        writer.Double(value);
    }
}
