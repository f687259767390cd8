using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AgentOps.Protos.Wire;

/// <summary>
/// Packed <c>repeated int32</c> data (protobuf encoding guide: varints back to back; a negative value takes 10 bytes).
/// Byte-tokenizer ids are mostly below 128, one byte each: both the size and the write take 16 ids at a time when all
/// of them are, and go id by id through a block that holds a larger one (an EOS, a UTF-8 byte past 127).
/// </summary>
internal static class PackedInt32
{
    private const int Block = 4 * 4; // four Vector128<int>

    /// <summary>The data's size without its tag and length prefix.</summary>
    public static int DataSize(ReadOnlySpan<int> values)
    {
        var size = 0;
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref var first = ref MemoryMarshal.GetReference(values);
            for (; i <= values.Length - Block; i += Block)
            {
                var (a, b, c, d) = Load(ref first, i);
                size += AllOneByte(a, b, c, d) ? Block : ScalarSize(values.Slice(i, Block));
            }
        }
        return size + ScalarSize(values[i..]);
    }

    /// <summary>
    /// Writes the data into <paramref name="destination"/>, which must be exactly <see cref="DataSize"/> bytes; false
    /// when it is not (the values changed since they were sized), with what fitted written.
    /// </summary>
    public static bool TryWrite(ReadOnlySpan<int> values, Span<byte> destination)
    {
        var position = 0;
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref var first = ref MemoryMarshal.GetReference(values);
            for (; i <= values.Length - Block; i += Block)
            {
                var (a, b, c, d) = Load(ref first, i);
                if (AllOneByte(a, b, c, d) && destination.Length - position >= Block)
                {
                    // each varint is the id's low byte: narrow 32 -> 16 -> 8 bits
                    Vector128.Narrow(Vector128.Narrow(a, b), Vector128.Narrow(c, d)).CopyTo(destination[position..]);
                    position += Block;
                    continue;
                }
                for (var k = i; k < i + Block; k++)
                    if (!TryWriteVarint(values[k], destination, ref position)) return false;
            }
        }
        for (; i < values.Length; i++)
            if (!TryWriteVarint(values[i], destination, ref position)) return false;
        return position == destination.Length;
    }

    private static (Vector128<uint>, Vector128<uint>, Vector128<uint>, Vector128<uint>) Load(ref int first, int i) => (
        Vector128.LoadUnsafe(ref first, (nuint)i).AsUInt32(),
        Vector128.LoadUnsafe(ref first, (nuint)(i + 4)).AsUInt32(),
        Vector128.LoadUnsafe(ref first, (nuint)(i + 8)).AsUInt32(),
        Vector128.LoadUnsafe(ref first, (nuint)(i + 12)).AsUInt32());

    /// <summary>Every value in [0, 128) (as unsigned, so a negative one is not).</summary>
    private static bool AllOneByte(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c, Vector128<uint> d) =>
        ((a | b | c | d) & Vector128.Create(~0x7Fu)) == Vector128<uint>.Zero;

    private static int ScalarSize(ReadOnlySpan<int> values)
    {
        var size = 0;
        foreach (var value in values) size += WireSizes.Int32(value);
        return size;
    }

    private static bool TryWriteVarint(int value, Span<byte> destination, ref int position)
    {
        if (destination.Length - position < WireSizes.Int32(value)) return false;
        var bits = (ulong)(long)value; // a negative int32 goes out sign-extended to 64 bits
        while (bits >= 0x80)
        {
            destination[position++] = (byte)(bits | 0x80);
            bits >>= 7;
        }
        destination[position++] = (byte)bits;
        return true;
    }
}
