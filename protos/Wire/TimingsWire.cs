using AgentOps.Protos.V1;
using Google.Protobuf;
using static AgentOps.Protos.Wire.Proto3Fields;

namespace AgentOps.Protos.Wire;

/// <summary>agentops.v1.Timings in the field order and default omission of Google.Protobuf's generated WriteTo.</summary>
internal static class TimingsWire
{
    private const byte StartedUnixMs = 1 << 3 | WireTags.Varint;
    private const byte FinishedUnixMs = 2 << 3 | WireTags.Varint;
    private const byte GenerateSeconds = 3 << 3 | WireTags.Fixed64;
    private const byte SandboxSeconds = 4 << 3 | WireTags.Fixed64;
    private const byte TotalSeconds = 5 << 3 | WireTags.Fixed64;

    public static int Measure(Timings timings) => timings.HasUnknownFields
        ? timings.CalculateSize()
        : Int64Size(timings.StartedUnixMs) + Int64Size(timings.FinishedUnixMs)
          + DoubleSize(timings.GenerateSeconds) + DoubleSize(timings.SandboxSeconds) + DoubleSize(timings.TotalSeconds);

    /// <param name="size">What <see cref="Measure"/> returned.</param>
    public static void Write(Timings timings, int size, ref WireSpanWriter writer)
    {
        if (timings.HasUnknownFields)
        {
            timings.WriteTo(writer.Take(size));
            return;
        }
        WriteInt64(ref writer, StartedUnixMs, timings.StartedUnixMs);
        WriteInt64(ref writer, FinishedUnixMs, timings.FinishedUnixMs);
        WriteDouble(ref writer, GenerateSeconds, timings.GenerateSeconds);
        WriteDouble(ref writer, SandboxSeconds, timings.SandboxSeconds);
        WriteDouble(ref writer, TotalSeconds, timings.TotalSeconds);
    }
}
