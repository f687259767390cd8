using System.Numerics;
using System.Text;

namespace AgentOps.Protos.Wire;

/// <summary>Encoded sizes of protobuf scalars (protobuf encoding guide: base-128 varints, int32 negatives sign-extended to 10 bytes).</summary>
internal static class WireSizes
{
    /// <summary>UTF-8 as Google.Protobuf encodes strings (no BOM; a lone surrogate becomes U+FFFD).</summary>
    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public static int Varint32(uint value) => BitOperations.Log2(value | 1) / 7 + 1;

    public static int Varint64(ulong value) => BitOperations.Log2(value | 1) / 7 + 1;

    /// <summary>int32 and enums: a negative value is written as its 64-bit two's complement, 10 bytes.</summary>
    public static int Int32(int value) => value < 0 ? 10 : Varint32((uint)value);

    public static int Int64(long value) => Varint64((ulong)value);

    /// <summary>A length prefix and <paramref name="length"/> bytes (strings, bytes, packed fields, nested messages).</summary>
    public static int LengthPrefixed(int length) => Varint32((uint)length) + length;

    public static int String(string value) => LengthPrefixed(Utf8.GetByteCount(value));
}
