using System.Runtime.CompilerServices;
using Google.Protobuf.Collections;

namespace AgentOps.Protos.Wire;

/// <summary>
/// A <see cref="RepeatedField{T}"/>'s items as a span. Google.Protobuf 3.25 keeps them in the private field <c>array</c>
/// (the first <c>Count</c> are live); reading it saves a copy or an indexer call per item (~11,000 token ids and as many
/// log-probs in a 64 KiB trajectory). If a Google.Protobuf upgrade renames the field the first call throws
/// MissingFieldException, which TrajectoryWireWriterTests catches.
/// </summary>
internal static class RepeatedFieldSpans
{
    public static ReadOnlySpan<int> Of(RepeatedField<int> field) => Items<int>.Of(field).AsSpan(0, field.Count);

    public static ReadOnlySpan<float> Of(RepeatedField<float> field) => Items<float>.Of(field).AsSpan(0, field.Count);

    // an accessor to a generic type's field is declared on a generic type with the same parameters (.NET 9 UnsafeAccessor)
    private static class Items<T>
    {
        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "array")]
        public static extern ref T[] Of(RepeatedField<T> field);
    }
}
