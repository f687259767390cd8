using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Google.Protobuf;

namespace AgentOps.Protos.Queue.Resp;

/// <summary>
/// Writes a command as a RESP2 array of bulk strings (redis.io/docs/reference/protocol-spec, "Sending commands"):
/// <c>*N\r\n</c> then <c>$LEN\r\nBYTES\r\n</c> per argument. A protobuf message is written as one bulk string,
/// serialized straight into the command buffer (no intermediate byte[]).
/// </summary>
internal static class RespWriter
{
    private const int MaxHeader = 1 + 20 + 2; // '$' or '*', a long, CRLF

    public static void ArrayHeader(IBufferWriter<byte> w, int count) => Header(w, (byte)'*', count);

    public static void Bulk(IBufferWriter<byte> w, ReadOnlySpan<byte> value)
    {
        Header(w, (byte)'$', value.Length);
        var span = w.GetSpan(value.Length + 2);
        value.CopyTo(span);
        span[value.Length] = (byte)'\r';
        span[value.Length + 1] = (byte)'\n';
        w.Advance(value.Length + 2);
    }

    public static void Bulk(IBufferWriter<byte> w, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        Header(w, (byte)'$', length);
        var span = w.GetSpan(length + 2);
        Encoding.UTF8.GetBytes(value, span);
        span[length] = (byte)'\r';
        span[length + 1] = (byte)'\n';
        w.Advance(length + 2);
    }

    public static void Bulk(IBufferWriter<byte> w, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var n);
        Bulk(w, digits[..n]);
    }

    /// <summary>The message's bytes as one bulk string; <paramref name="length"/> is its CalculateSize(), when known.</summary>
    public static void Bulk(IBufferWriter<byte> w, IMessage message, int length = -1)
    {
        if (length < 0) length = message.CalculateSize();
        Header(w, (byte)'$', length);
        var span = w.GetSpan(length + 2);
        message.WriteTo(span[..length]);
        span[length] = (byte)'\r';
        span[length + 1] = (byte)'\n';
        w.Advance(length + 2);
    }

    /// <summary>The most bytes a bulk string of <paramref name="length"/> bytes takes ('$', digits, CRLF, bytes, CRLF).</summary>
    public static int BulkSize(int length) => MaxHeader + length + 2;

    private static void Header(IBufferWriter<byte> w, byte kind, long value)
    {
        var span = w.GetSpan(MaxHeader);
        span[0] = kind;
        Utf8Formatter.TryFormat(value, span[1..], out var n);
        span[1 + n] = (byte)'\r';
        span[2 + n] = (byte)'\n';
        w.Advance(3 + n);
    }
}
