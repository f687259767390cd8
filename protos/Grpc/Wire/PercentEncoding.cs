using System.Text;

namespace AgentOps.Protos.Grpc;

/// <summary>
/// gRPC over HTTP/2 "Status-Message": UTF-8 bytes, with every byte outside 0x20–0x7E and '%' itself
/// written as %XX. Decoding leaves malformed escapes as they are, as the spec asks.
/// </summary>
public static class PercentEncoding
{
    public static string Encode(string message)
    {
        var plain = true;
        foreach (var c in message)
            if (c < 0x20 || c > 0x7E || c == '%') { plain = false; break; }
        if (plain) return message;

        var sb = new StringBuilder(message.Length * 2);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b >= 0x20 && b <= 0x7E && b != '%') sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }

    public static string Decode(string value)
    {
        if (!value.Contains('%')) return value;
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length
                && IsHex(value[i + 1]) && IsHex(value[i + 2]))
            {
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';
}
