using AgentOps.Protos.V1;
using Google.Protobuf;
using static AgentOps.Protos.Wire.Proto3Fields;

namespace AgentOps.Protos.Wire;

/// <summary>agentops.v1.Step in the field order and default omission of Google.Protobuf's generated WriteTo.</summary>
internal static class StepWire
{
    private const byte Index = 1 << 3 | WireTags.Varint;
    private const byte Action = 2 << 3 | WireTags.LengthDelimited;
    private const byte Code = 3 << 3 | WireTags.LengthDelimited;
    private const byte Observation = 4 << 3 | WireTags.LengthDelimited;
    private const byte CodeError = 5 << 3 | WireTags.Varint;
    private const byte Feedback = 6 << 3 | WireTags.LengthDelimited;
    private const byte SandboxSeconds = 7 << 3 | WireTags.Fixed64;
    private const byte GenerateSeconds = 8 << 3 | WireTags.Fixed64;

    public static int Measure(Step step) => step.HasUnknownFields
        ? step.CalculateSize()
        : Int32Size(step.Index) + StringSize(step.Action) + StringSize(step.Code) + StringSize(step.Observation)
          + BoolSize(step.CodeError) + StringSize(step.Feedback) + DoubleSize(step.SandboxSeconds) + DoubleSize(step.GenerateSeconds);

    /// <param name="size">What <see cref="Measure"/> returned.</param>
    public static void Write(Step step, int size, ref WireSpanWriter writer)
    {
        if (step.HasUnknownFields)
        {
            step.WriteTo(writer.Take(size));
            return;
        }
        WriteInt32(ref writer, Index, step.Index);
        WriteString(ref writer, Action, step.Action);
        WriteString(ref writer, Code, step.Code);
        WriteString(ref writer, Observation, step.Observation);
        WriteBool(ref writer, CodeError, step.CodeError);
        WriteString(ref writer, Feedback, step.Feedback);
        WriteDouble(ref writer, SandboxSeconds, step.SandboxSeconds);
        WriteDouble(ref writer, GenerateSeconds, step.GenerateSeconds);
    }
}
