using System.Buffers;
using Google.Protobuf;

namespace AgentOps.Protos.Grpc;

/// <summary>
/// Turns messages into bytes and back (Grpc.Core's <c>Marshaller</c>). Protobuf messages use a sized
/// serializer that writes straight into the transport's buffer, with no intermediate array.
/// </summary>
public sealed class Marshaller<T>
{
    private readonly Func<T, byte[]>? _serializer;

    public Marshaller(Func<T, byte[]> serializer, Func<byte[], T> deserializer)
    {
        _serializer = serializer;
        Deserializer = deserializer;
        Parse = seq => deserializer(seq.ToArray());
    }

    internal Marshaller(Func<T, int> size, Action<T, Span<byte>> write, Func<ReadOnlySequence<byte>, T> parse)
    {
        SizeOf = size;
        WriteTo = write;
        Parse = parse;
        Deserializer = bytes => parse(new ReadOnlySequence<byte>(bytes));
    }

    public Func<byte[], T> Deserializer { get; }
    public Func<T, byte[]> Serializer => _serializer ?? (m => { var b = new byte[SizeOf!(m)]; WriteTo!(m, b); return b; });

    internal Func<T, int>? SizeOf { get; }
    internal Action<T, Span<byte>>? WriteTo { get; }
    internal Func<ReadOnlySequence<byte>, T> Parse { get; }
}

public static class Marshallers
{
    public static Marshaller<T> Create<T>(Func<T, byte[]> serializer, Func<byte[], T> deserializer) => new(serializer, deserializer);

    /// <summary>A marshaller for a protobuf message type, e.g. <c>Marshallers.ForProtobuf(Trajectory.Parser)</c>.</summary>
    public static Marshaller<T> ForProtobuf<T>(MessageParser<T> parser) where T : IMessage<T> =>
        new(m => m.CalculateSize(), (m, span) => m.WriteTo(span), parser.ParseFrom);

    /// <summary>
    /// A message read from its own copy of the frame: <paramref name="read"/> gets the bytes (and keeps them, as it likes);
    /// writing sends <paramref name="bytes"/> as they are.
    /// </summary>
    public static Marshaller<T> ForBytesRead<T>(Func<byte[], T> read, Func<T, byte[]> bytes) =>
        new(m => bytes(m).Length, (m, span) => bytes(m).CopyTo(span), seq => read(Copy(seq)));

    /// <summary>A frame's bytes in a new array that is not zeroed first (the copy overwrites all of it): 64 KiB per trajectory at the gateway.</summary>
    private static byte[] Copy(in ReadOnlySequence<byte> seq)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)seq.Length));
        seq.CopyTo(bytes);
        return bytes;
    }

    /// <summary>Raw bytes as the message (generic peers, interop tests).</summary>
    public static Marshaller<byte[]> Bytes { get; } = new(b => b.Length, (b, span) => b.CopyTo(span), seq => Copy(seq));
}
