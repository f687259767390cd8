using AgentOps.Protos.Grpc;

namespace AgentOps.Protos.Tests.Grpc;

public sealed class PooledBufferWriterTests
{
    [Fact]
    public void Writes_past_the_first_buffer_keep_every_byte_in_order_and_reset_reuses_the_buffer()
    {
        using var writer = new PooledBufferWriter(initialCapacity: 1024);
        var random = new Random(7);
        var expected = new List<byte>();
        for (var i = 0; i < 5; i++)
        {
            var chunk = new byte[700 + (i * 300)]; // 700..1,900 bytes: crosses 1 KiB and every doubling after it
            random.NextBytes(chunk);
            chunk.CopyTo(writer.GetSpan(chunk.Length));
            writer.Advance(chunk.Length);
            expected.AddRange(chunk);
        }
        Assert.Equal(expected.Count, writer.WrittenCount);
        Assert.Equal(expected, writer.WrittenMemory.ToArray());
        writer.ResetWrittenCount();
        writer.GetSpan(3)[..3].Fill(9);
        writer.Advance(3);
        Assert.Equal([9, 9, 9], writer.WrittenMemory.ToArray());
    }

    [Fact]
    public void Advancing_past_the_free_space_names_both_sizes()
    {
        using var writer = new PooledBufferWriter(initialCapacity: 16);
        var free = writer.GetSpan(16).Length;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(free + 1));
        Assert.Contains($"advanced {free + 1} bytes with {free} free", e.Message);
    }
}
