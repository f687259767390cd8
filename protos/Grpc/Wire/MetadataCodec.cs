using Microsoft.Extensions.Primitives;

namespace AgentOps.Protos.Grpc;

/// <summary>Metadata to HTTP/2 header fields and back; -bin values are base64, sent unpadded, read padded or not.</summary>
internal static class MetadataCodec
{
    public static string EncodeValue(Metadata.Entry entry) =>
        entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes).TrimEnd('=') : entry.Value;

    public static void AddTo(Metadata metadata, string key, StringValues values)
    {
        key = key.ToLowerInvariant();
        if (GrpcProtocol.IsReservedHeader(key)) return;
        foreach (var value in values)
        {
            if (value is null) continue;
            if (key.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.Ordinal))
            {
                foreach (var part in value.Split(','))
                    metadata.Add(key, DecodeBase64(part.Trim(), key));
            }
            else
            {
                metadata.Add(new Metadata.Entry(key, value));
            }
        }
    }

    private static byte[] DecodeBase64(string value, string key)
    {
        var padded = value.Length % 4 == 0 ? value : value + new string('=', 4 - value.Length % 4);
        try { return Convert.FromBase64String(padded); }
        catch (FormatException) { throw new RpcException(new Status(StatusCode.Internal, $"metadata '{key}': value '{value}' is not base64")); }
    }
}
