using System.Buffers;
using System.Text;
using AgentOps.Protos.Queue.Resp;

namespace AgentOps.Protos.Tests.Queue.Resp;

public sealed class RespParserTests
{
    private const string Reply = "*3\r\n$5\r\nhello\r\n*2\r\n:42\r\n$-1\r\n+OK\r\n";

    [Fact]
    public void A_reply_fed_one_byte_at_a_time_is_parsed_only_once_whole_and_consumes_exactly_itself()
    {
        var bytes = Encoding.ASCII.GetBytes(Reply + "-ERR next\r\n");
        for (var cut = 0; cut < Reply.Length; cut++)
        {
            var partial = new ReadOnlySequence<byte>(bytes, 0, cut);
            Assert.False(RespParser.TryParse(ref partial, out _), $"parsed a reply from its first {cut} bytes");
            Assert.Equal(cut, partial.Length);
        }
        var all = new ReadOnlySequence<byte>(bytes);
        Assert.True(RespParser.TryParse(ref all, out var reply));
        Assert.Equal("-ERR next\r\n", Encoding.ASCII.GetString(all.ToArray()));
        var items = reply.AsArray();
        Assert.Equal("hello", items[0].AsString());
        Assert.Equal(42, items[1].AsArray()[0].AsInteger());
        Assert.Equal(RespKind.Null, items[1].AsArray()[1].Kind);
        Assert.Equal("OK", items[2].AsString());
        Assert.True(RespParser.TryParse(ref all, out var error));
        Assert.True(error.IsError);
        Assert.Equal("ERR next", error.Text);
    }

    [Fact]
    public void A_reply_split_across_segments_is_parsed()
    {
        var bytes = Encoding.ASCII.GetBytes(Reply);
        var first = new Segment(bytes.AsMemory(0, 9));
        var last = first.Append(bytes.AsMemory(9));
        var sequence = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        Assert.True(RespParser.TryParse(ref sequence, out var reply));
        Assert.Equal("hello", reply.AsArray()[0].AsString());
        Assert.Equal(0, sequence.Length);
    }

    [Theory]
    [InlineData("?3\r\n", "byte 0x3f")]
    [InlineData("$abc\r\n", "\"abc\" that is not an integer")]
    [InlineData("$3\r\nabcXY", "3-byte bulk string not followed by CRLF")]
    public void Garbage_is_a_protocol_error_that_names_what_was_seen(string garbage, string expected)
    {
        var sequence = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(garbage));
        var e = Assert.Throws<InvalidDataException>(() => RespParser.TryParse(ref sequence, out _));
        Assert.Contains(expected, e.Message);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
