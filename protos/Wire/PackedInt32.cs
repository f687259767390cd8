using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AgentOps.Protos.Wire;

/// <summary>
/// Packed <c>repeated int32</c> data (protobuf encoding guide: varints back to back; a negative value takes 10 bytes).
/// Byte-tokenizer ids are mostly below 128, one byte each, so both the size and the write go 16 ids at a time.
/// </summary>
internal static class PackedInt32
{
    private const int Block = 4 * 4; // four Vector128<int> per step

    /// <summary>The data's size without its tag and length prefix: the count plus a byte for each 7 bits past the first.</summary>
    public static int DataSize(ReadOnlySpan<int> values)
    {
        var extra = 0;
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref var first = ref MemoryMarshal.GetReference(values);
            var lanes = Vector128<uint>.Zero;
            for (; i <= values.Length - Vector128<int>.Count; i += Vector128<int>.Count)
            {
                var v = Vector128.LoadUnsafe(ref first, (nuint)i);
                var u = v.AsUInt32();
                // a compare is all ones (-1) where it holds: subtracting it counts the bytes past the first
                lanes -= Vector128.GreaterThan(u, Vector128.Create(0x7Fu));
                lanes -= Vector128.GreaterThan(u, Vector128.Create(0x3FFFu));
                lanes -= Vector128.GreaterThan(u, Vector128.Create(0x1FFFFFu));
                lanes -= Vector128.GreaterThan(u, Vector128.Create(0xFFFFFFFu));
                lanes += Vector128.LessThan(v, Vector128<int>.Zero).AsUInt32() & Vector128.Create(5u); // 5 bytes -> 10
            }
            extra = (int)Vector128.Sum(lanes);
        }
        for (; i < values.Length; i++) extra += WireSizes.Int32(values[i]) - 1;
        return values.Length + extra;
    }

    /// <summary>Writes the data; <paramref name="destination"/> must be exactly <see cref="DataSize"/> bytes.</summary>
    public static void Write(ReadOnlySpan<int> values, Span<byte> destination)
    {
        var writer = new WireSpanWriter(destination);
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref var first = ref MemoryMarshal.GetReference(values);
            for (; i <= values.Length - Block; i += Block)
            {
                var a = Vector128.LoadUnsafe(ref first, (nuint)i).AsUInt32();
                var b = Vector128.LoadUnsafe(ref first, (nuint)(i + 4)).AsUInt32();
                var c = Vector128.LoadUnsafe(ref first, (nuint)(i + 8)).AsUInt32();
                var d = Vector128.LoadUnsafe(ref first, (nuint)(i + 12)).AsUInt32();
                if (((a | b | c | d) & Vector128.Create(~0x7Fu)) == Vector128<uint>.Zero)
                {
                    // all 16 below 128: each varint is the value's low byte
                    Vector128.Narrow(Vector128.Narrow(a, b), Vector128.Narrow(c, d)).CopyTo(writer.Take(Block));
                    continue;
                }
                for (var k = i; k < i + Block; k++) writer.Int32(values[k]);
            }
        }
        for (; i < values.Length; i++) writer.Int32(values[i]);
        if (writer.Position != destination.Length)
            throw new ArgumentException($"Packed int32 data is {writer.Position} bytes, the destination {destination.Length}", nameof(destination));
    }
}
