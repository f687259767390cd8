using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace AgentOps.Protos.Queue.Resp;

/// <summary>
/// Parses RESP2 replies (redis.io/docs/reference/protocol-spec) from a byte sequence. <see cref="TryParse"/> reads one
/// whole reply or nothing: with a partial reply it returns false and consumes nothing, to be called again with more bytes.
/// It first only checks that the whole reply is there (skipping bulk bytes by their length), then builds it: a reply
/// arriving in many reads is scanned once per read but copied once (building on every read copied a 256 KiB reply
/// about 16 times over).
/// </summary>
internal static class RespParser
{
    /// <summary>Nesting deeper than this is refused (our commands' replies nest at most 4 deep).</summary>
    private const int MaxDepth = 16;

    public static bool TryParse(ref ReadOnlySequence<byte> buffer, out RespReply reply)
    {
        reply = null!;
        var scan = new SequenceReader<byte>(buffer);
        if (!IsComplete(ref scan, 0)) return false;
        var reader = new SequenceReader<byte>(buffer);
        if (!TryRead(ref reader, 0, out reply!)) throw Protocol("a reply that changed between scan and parse");
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    /// <summary>Whether one whole reply is in the reader, allocating nothing.</summary>
    private static bool IsComplete(ref SequenceReader<byte> reader, int depth)
    {
        if (!reader.TryRead(out var kind)) return false;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8)) return false;
        switch (kind)
        {
            case (byte)'+' or (byte)'-' or (byte)':':
                return true;
            case (byte)'$':
            {
                var length = ParseLong(line, kind);
                if (length < 0) return true;
                if (reader.Remaining < length + 2) return false;
                reader.Advance(length + 2);
                return true;
            }
            case (byte)'*':
            {
                var count = ParseLong(line, kind);
                if (depth >= MaxDepth) throw Protocol($"arrays nested deeper than {MaxDepth}");
                for (var i = 0; i < count; i++)
                    if (!IsComplete(ref reader, depth + 1)) return false;
                return true;
            }
            default:
                throw Protocol($"a reply starting with byte 0x{kind:x2}, expected one of + - : $ *");
        }
    }

    private static bool TryRead(ref SequenceReader<byte> reader, int depth, out RespReply? reply)
    {
        reply = null;
        if (!reader.TryRead(out var kind)) return false;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8)) return false;
        switch (kind)
        {
            case (byte)'+':
                reply = new RespReply(RespKind.SimpleString, Text: Encoding.UTF8.GetString(line));
                return true;
            case (byte)'-':
                reply = new RespReply(RespKind.Error, Text: Encoding.UTF8.GetString(line));
                return true;
            case (byte)':':
                reply = new RespReply(RespKind.Integer, Integer: ParseLong(line, kind));
                return true;
            case (byte)'$':
            {
                var length = ParseLong(line, kind);
                if (length < 0)
                {
                    reply = RespReply.Nil;
                    return true;
                }
                if (reader.Remaining < length + 2) return false;
                var bytes = GC.AllocateUninitializedArray<byte>(checked((int)length));
                reader.TryCopyTo(bytes);
                reader.Advance(length);
                if (!reader.IsNext("\r\n"u8, advancePast: true)) throw Protocol($"a {length}-byte bulk string not followed by CRLF");
                reply = new RespReply(RespKind.BulkString, Bulk: bytes);
                return true;
            }
            case (byte)'*':
            {
                var count = ParseLong(line, kind);
                if (count < 0)
                {
                    reply = RespReply.Nil;
                    return true;
                }
                if (depth >= MaxDepth) throw Protocol($"arrays nested deeper than {MaxDepth}");
                var items = new RespReply[count];
                for (var i = 0; i < items.Length; i++)
                    if (!TryRead(ref reader, depth + 1, out items[i]!)) return false;
                reply = new RespReply(RespKind.Array, Items: items);
                return true;
            }
            default:
                throw Protocol($"a reply starting with byte 0x{kind:x2}, expected one of + - : $ *");
        }
    }

    private static long ParseLong(ReadOnlySequence<byte> line, byte kind)
    {
        Span<byte> digits = stackalloc byte[24];
        if (line.Length > digits.Length) throw Protocol($"a '{(char)kind}' header of {line.Length} bytes");
        line.CopyTo(digits);
        var span = digits[..(int)line.Length];
        if (!Utf8Parser.TryParse(span, out long value, out var used) || used != span.Length)
            throw Protocol($"a '{(char)kind}' header \"{Encoding.ASCII.GetString(span)}\" that is not an integer");
        return value;
    }

    private static InvalidDataException Protocol(string what) => new($"RESP protocol error: redis sent {what}");
}
