using AgentOps.Protos.V1;
using AgentOps.Testing.Wire;
using AgentOps.Workers.Pipeline;
using Google.Protobuf;

namespace AgentOps.Workers.Tests.Pipeline;

/// <summary>The pusher's PushBatches serializer writes the bytes Google.Protobuf writes for the same TrajectoryBatch.</summary>
public sealed class PushBatchesMethodTests
{
    [Fact]
    public void A_batch_is_serialized_as_Google_Protobuf_serializes_a_TrajectoryBatch()
    {
        var trajectories = new List<Trajectory> { SampleTrajectories.Full("b-1"), SampleTrajectories.Valid("b-2", "r", approxBytes: 300), SampleTrajectories.Full("b-3", approxBytes: 70_000) };
        var context = new BufferContext(maxSpan: 16 * 1024); // as grpc-dotnet's writer, smaller spans than the message
        PushBatchesMethod.Method.RequestMarshaller.ContextualSerializer(trajectories, context);
        var bytes = context.Bytes;
        Assert.Equal(context.PayloadLength, bytes.Length);
        Assert.Equal(new TrajectoryBatch { Trajectories = { trajectories } }.ToByteArray(), bytes);
        Assert.Equal(trajectories, TrajectoryBatch.Parser.ParseFrom(bytes).Trajectories);
    }

    /// <summary>What grpc-dotnet hands a serializer: a declared length and a buffer writer (or a whole array).</summary>
    private sealed class BufferContext(int maxSpan) : Grpc.Core.SerializationContext, System.Buffers.IBufferWriter<byte>
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new();
        private byte[]? _whole;

        public int PayloadLength { get; private set; } = -1;
        public byte[] Bytes => _whole ?? _buffer.WrittenSpan.ToArray();

        public override void SetPayloadLength(int payloadLength) => PayloadLength = payloadLength;
        public override System.Buffers.IBufferWriter<byte> GetBufferWriter() => this;
        public void Advance(int count) => _buffer.Advance(count);
        public Memory<byte> GetMemory(int sizeHint = 0) => _buffer.GetMemory(sizeHint)[..Math.Min(maxSpan, Math.Max(sizeHint, 1))];
        public Span<byte> GetSpan(int sizeHint = 0) => _buffer.GetSpan(sizeHint)[..Math.Min(maxSpan, Math.Max(sizeHint, 1))];
        public override void Complete() { }
        public override void Complete(byte[] payload) => _whole = payload;
    }
}
