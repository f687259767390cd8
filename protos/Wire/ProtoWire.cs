using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Unicode;

namespace AgentOps.Protos.Wire;

/// <summary>
/// The protobuf encoding spec's primitives over a span (varints, length-delimited bodies, fixed-size values), each a
/// Try that says false on anything malformed instead of throwing, so a fast path can hand such bytes to Google.Protobuf's
/// parser and let it say what is wrong. Used by <see cref="TrajectoryWireParser"/>.
/// </summary>
internal static class ProtoWire
{
    /// <summary>A varint of at most 10 bytes (the parser's limit), as 64 bits.</summary>
    public static bool TryVarint(ReadOnlySpan<byte> b, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70 && pos < b.Length; shift += 7)
        {
            var x = b[pos++];
            value |= (ulong)(x & 0x7F) << shift;
            if (x < 0x80) return true;
        }
        return false;
    }

    /// <summary>A length-delimited field's body: its length must be a non-negative int32 within the bytes left.</summary>
    public static bool TryLength(ReadOnlySpan<byte> b, ref int pos, out ReadOnlySpan<byte> body)
    {
        body = default;
        if (!TryVarint(b, ref pos, out var length) || length > (ulong)(b.Length - pos)) return false;
        body = b.Slice(pos, (int)length);
        pos += (int)length;
        return true;
    }

    public static bool TrySkip(ReadOnlySpan<byte> b, ref int pos, int count)
    {
        if (b.Length - pos < count) return false;
        pos += count;
        return true;
    }

    /// <summary>A string field at <paramref name="pos"/>: see <see cref="TryText"/>.</summary>
    public static bool TryString(ReadOnlySpan<byte> b, ref int pos, out string value)
    {
        value = "";
        return TryLength(b, ref pos, out var text) && TryText(text, out value);
    }

    /// <summary>A string field's body: false unless it is valid UTF-8 (the parser refuses anything else).</summary>
    public static bool TryText(ReadOnlySpan<byte> text, out string value)
    {
        value = "";
        if (!Utf8.IsValid(text)) return false;
        if (text.Length > 0) value = Encoding.UTF8.GetString(text);
        return true;
    }

    /// <summary>A double (wire type 1): 8 bytes little-endian, every bit kept (NaN payloads included, as the parser keeps them).</summary>
    public static bool TryDouble(ReadOnlySpan<byte> b, ref int pos, out double value)
    {
        value = 0;
        if (b.Length - pos < 8) return false;
        value = BinaryPrimitives.ReadDoubleLittleEndian(b[pos..]);
        pos += 8;
        return true;
    }

    /// <summary>A float (wire type 5): 4 bytes little-endian.</summary>
    public static bool TryFloat(ReadOnlySpan<byte> b, ref int pos, out float value)
    {
        value = 0;
        if (b.Length - pos < 4) return false;
        value = BinaryPrimitives.ReadSingleLittleEndian(b[pos..]);
        pos += 4;
        return true;
    }

    /// <summary>
    /// How many varints a packed field's body holds: one per byte with the high bit clear (each varint ends on one).
    /// -1 when the body ends inside a varint. Varints longer than 10 bytes are not caught here; reading them is.
    /// </summary>
    public static int CountVarints(ReadOnlySpan<byte> packed)
    {
        if (packed.Length == 0) return 0;
        if (packed[^1] >= 0x80) return -1;
        var continued = 0; // bytes with the high bit set
        var i = 0;
        for (; i + Vector128<byte>.Count <= packed.Length; i += Vector128<byte>.Count)
            continued += BitOperations.PopCount(Vector128.ExtractMostSignificantBits(Vector128.Create(packed.Slice(i, Vector128<byte>.Count))));
        for (; i < packed.Length; i++)
            continued += packed[i] >> 7;
        return packed.Length - continued;
    }
}
