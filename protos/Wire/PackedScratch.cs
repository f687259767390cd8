using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf.Collections;
using static AgentOps.Protos.Wire.ProtoWire;

namespace AgentOps.Protos.Wire;

/// <summary>
/// Adds a packed field's values to a RepeatedField in one block copy instead of one Add per value:
/// <c>RepeatedField.AddRange</c> asks an ICollection to CopyTo its array, so the values are decoded into a per-thread
/// scratch List first (reused: no allocation once it has grown to the largest field seen, up to <see cref="MaxValues"/>).
/// </summary>
internal static class PackedScratch
{
    /// <summary>
    /// Longer fields are added one value at a time rather than keep a larger scratch alive on every thread that parsed
    /// one: each list's array stays under 2 × 65,536 values (List doubling), 512 KiB, so 1 MiB a thread at most.
    /// </summary>
    public const int MaxValues = 1 << 16;

    [ThreadStatic] private static List<int>? t_ints;
    [ThreadStatic] private static List<float>? t_floats;

    /// <summary><paramref name="count"/> varints (as <see cref="CountVarints"/> counted them) as int32s: the low 32 bits of each.</summary>
    public static bool TryAddVarints(ReadOnlySpan<byte> packed, int count, RepeatedField<int> ids)
    {
        var scratch = t_ints ??= [];
        CollectionsMarshal.SetCount(scratch, count);
        var values = CollectionsMarshal.AsSpan(scratch);
        if (count == packed.Length)
        {
            for (var i = 0; i < values.Length; i++) values[i] = packed[i]; // every value one byte (byte tokens below 128)
        }
        else
        {
            var p = 0;
            for (var i = 0; i < values.Length; i++)
            {
                if (!TryVarint(packed, ref p, out var value)) return false;
                values[i] = (int)value;
            }
        }
        ids.AddRange(scratch);
        return true;
    }

    public static void AddFloats(ReadOnlySpan<byte> packed, RepeatedField<float> list)
    {
        var scratch = t_floats ??= [];
        CollectionsMarshal.SetCount(scratch, packed.Length / 4);
        var values = CollectionsMarshal.AsSpan(scratch);
        if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(packed).CopyTo(values);
        else for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(packed[(4 * i)..]);
        list.AddRange(scratch);
    }
}
