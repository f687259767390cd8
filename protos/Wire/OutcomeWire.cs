using AgentOps.Protos.V1;
using Google.Protobuf;
using static AgentOps.Protos.Wire.Proto3Fields;

namespace AgentOps.Protos.Wire;

/// <summary>agentops.v1.Outcome in the field order and default omission of Google.Protobuf's generated WriteTo.</summary>
internal static class OutcomeWire
{
    private const byte Status = 1 << 3 | WireTags.Varint;
    private const byte Message = 2 << 3 | WireTags.LengthDelimited;
    private const byte Answer = 3 << 3 | WireTags.LengthDelimited;

    public static int Measure(Outcome outcome) => outcome.HasUnknownFields
        ? outcome.CalculateSize()
        : Int32Size((int)outcome.Status) + StringSize(outcome.Message) + StringSize(outcome.Answer);

    /// <param name="size">What <see cref="Measure"/> returned.</param>
    public static void Write(Outcome outcome, int size, ref WireSpanWriter writer)
    {
        if (outcome.HasUnknownFields)
        {
            outcome.WriteTo(writer.Take(size));
            return;
        }
        WriteInt32(ref writer, Status, (int)outcome.Status);
        WriteString(ref writer, Message, outcome.Message);
        WriteString(ref writer, Answer, outcome.Answer);
    }
}
