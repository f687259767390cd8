using System.Buffers;
using AgentOps.Protos.V1;
using AgentOps.Protos.Wire;
using Google.Protobuf;
using Grpc.Core;

namespace AgentOps.Workers.Pipeline;

/// <summary>
/// TrajectoryIngest.PushBatches as the pusher calls it: the path and wire format Grpc.Tools generates (a TrajectoryBatch per
/// message), serialized by <see cref="TrajectoryWireWriter"/> instead of Google.Protobuf. Kept because a paired pipeline bench
/// measured it: see <see cref="TrajectoryWireWriter"/>'s summary for the numbers.
/// </summary>
internal static class PushBatchesMethod
{
    private const byte TrajectoriesTag = 1 << 3 | 2; // TrajectoryBatch.trajectories: field 1, length-delimited

    public static readonly Method<IReadOnlyList<Trajectory>, PushAck> Method = new(
        MethodType.ClientStreaming, "agentops.v1.TrajectoryIngest", "PushBatches",
        new Marshaller<IReadOnlyList<Trajectory>>(Serialize, _ => throw new NotSupportedException("the pusher only sends TrajectoryBatch")),
        new Marshaller<PushAck>((ack, context) => context.Complete(ack.ToByteArray()), context => PushAck.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

    /// <summary>The bytes Google.Protobuf would write for a TrajectoryBatch of <paramref name="trajectories"/>, each trajectory measured once.</summary>
    private static void Serialize(IReadOnlyList<Trajectory> trajectories, SerializationContext context)
    {
        var writer = TrajectoryWireWriter.ForCurrentThread;
        var sizes = new int[trajectories.Count];
        var total = 0;
        for (var i = 0; i < trajectories.Count; i++)
        {
            sizes[i] = writer.Size(trajectories[i]);
            total += 1 + CodedOutputStream.ComputeLengthSize(sizes[i]) + sizes[i];
        }
        context.SetPayloadLength(total);
        var buffers = context.GetBufferWriter();
        var span = buffers.GetSpan(total);
        if (span.Length >= total)
        {
            Write(trajectories, sizes, writer, span[..total]);
            buffers.Advance(total);
        }
        else
        {
            // grpc-dotnet's writer hands out smaller spans for large messages: write whole, then copy in its chunks.
            var rented = ArrayPool<byte>.Shared.Rent(total);
            Write(trajectories, sizes, writer, rented.AsSpan(0, total));
            buffers.Write(rented.AsSpan(0, total));
            ArrayPool<byte>.Shared.Return(rented);
        }
        context.Complete();
    }

    private static void Write(IReadOnlyList<Trajectory> trajectories, int[] sizes, TrajectoryWireWriter writer, Span<byte> destination)
    {
        var position = 0;
        for (var i = 0; i < trajectories.Count; i++)
        {
            destination[position++] = TrajectoriesTag;
            for (var length = (uint)sizes[i]; ; length >>= 7) // the length as a varint
            {
                if (length < 0x80)
                {
                    destination[position++] = (byte)length;
                    break;
                }
                destination[position++] = (byte)(length | 0x80);
            }
            writer.Write(trajectories[i], destination.Slice(position, sizes[i]));
            position += sizes[i];
        }
    }
}
