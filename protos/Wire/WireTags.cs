namespace AgentOps.Protos.Wire;

/// <summary>Protobuf tags (field number &lt;&lt; 3 | wire type). Every field of trajectory.proto is numbered below 16, so each tag is one byte.</summary>
internal static class WireTags
{
    public const byte Varint = 0;
    public const byte Fixed64 = 1;
    public const byte LengthDelimited = 2;
}
