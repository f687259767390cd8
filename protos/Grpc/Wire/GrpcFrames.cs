using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace AgentOps.Protos.Grpc;

/// <summary>
/// Length-Prefixed-Message framing (PROTOCOL-HTTP2.md): a compressed flag byte, a 4-byte big-endian length,
/// then the message. We never compress, so the flag we write is always 0.
/// </summary>
internal static class GrpcFrames
{
    /// <summary>Writes one frame into <paramref name="writer"/>; returns the bytes written.</summary>
    public static int Write<T>(IBufferWriter<byte> writer, T message, Marshaller<T> marshaller, int maxSendMessageSize)
    {
        if (marshaller.SizeOf is { } sizeOf)
        {
            var size = sizeOf(message);
            CheckSendSize(size, maxSendMessageSize);
            var span = writer.GetSpan(GrpcProtocol.HeaderSize + size);
            WriteHeader(span, size);
            marshaller.WriteTo!(message, span.Slice(GrpcProtocol.HeaderSize, size));
            writer.Advance(GrpcProtocol.HeaderSize + size);
            return GrpcProtocol.HeaderSize + size;
        }
        var bytes = marshaller.Serializer(message);
        CheckSendSize(bytes.Length, maxSendMessageSize);
        var dest = writer.GetSpan(GrpcProtocol.HeaderSize + bytes.Length);
        WriteHeader(dest, bytes.Length);
        bytes.CopyTo(dest[GrpcProtocol.HeaderSize..]);
        writer.Advance(GrpcProtocol.HeaderSize + bytes.Length);
        return GrpcProtocol.HeaderSize + bytes.Length;
    }

    private static void WriteHeader(Span<byte> span, int size)
    {
        span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)size);
    }

    private static void CheckSendSize(int size, int max)
    {
        if (size > max)
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"Sending message larger than max ({size} vs. {max})"));
    }

    private static (byte Flag, uint Length) ReadHeader(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[GrpcProtocol.HeaderSize];
        buffer.Slice(0, GrpcProtocol.HeaderSize).CopyTo(header);
        return (header[0], BinaryPrimitives.ReadUInt32BigEndian(header[1..]));
    }

    /// <summary>
    /// Reads the next message, or returns (false, default) when the stream ended cleanly between frames.
    /// A frame over <paramref name="maxReceiveMessageSize"/> is refused from its header, before its body is read.
    /// </summary>
    public static async ValueTask<(bool HasMessage, T? Message)> ReadAsync<T>(
        PipeReader reader, Marshaller<T> marshaller, int maxReceiveMessageSize, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= GrpcProtocol.HeaderSize)
            {
                var (flag, length) = ReadHeader(buffer);
                if (flag > 1)
                {
                    reader.AdvanceTo(buffer.Start);
                    throw new RpcException(new Status(StatusCode.Internal, $"Invalid frame: compressed flag is {flag}, expected 0 or 1"));
                }
                if (flag == 1)
                {
                    reader.AdvanceTo(buffer.Start);
                    throw new RpcException(new Status(StatusCode.Internal,
                        "Invalid frame: compressed flag set but the call's grpc-encoding is identity"));
                }
                if (length > (uint)maxReceiveMessageSize)
                {
                    reader.AdvanceTo(buffer.Start);
                    throw new RpcException(new Status(StatusCode.ResourceExhausted,
                        $"Received message larger than max ({length} vs. {maxReceiveMessageSize})"));
                }
                var total = GrpcProtocol.HeaderSize + (long)length;
                if (buffer.Length >= total)
                {
                    var body = buffer.Slice(GrpcProtocol.HeaderSize, length);
                    T message;
                    try
                    {
                        message = marshaller.Parse(body);
                    }
                    catch (Exception e) when (e is not RpcException)
                    {
                        reader.AdvanceTo(buffer.Start);
                        throw new RpcException(new Status(StatusCode.Internal,
                            $"Failed to deserialize a {length}-byte message: {e.Message}", e));
                    }
                    reader.AdvanceTo(buffer.GetPosition(total));
                    return (true, message);
                }
            }
            if (result.IsCompleted)
            {
                var left = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (left == 0) return (false, default);
                throw new RpcException(new Status(StatusCode.Internal,
                    $"Incomplete message: the stream ended {left} bytes into a frame"));
            }
            if (result.IsCanceled) throw new OperationCanceledException(cancellationToken);
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
