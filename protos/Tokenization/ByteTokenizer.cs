using System.Text;

namespace AgentOps.Protos.Tokenization;

/// <summary>
/// Byte-level tokenizer: every UTF-8 byte is a token (0-255), followed by a few special tokens, so no
/// vocabulary file is needed (DESIGN.md, "Tokenizer"). Executors and the trainer share this one definition.
/// </summary>
public static class ByteTokenizer
{
    public const string Name = "byte-v1";
    public const int Pad = 256;
    public const int Bos = 257;
    public const int Eos = 258;
    public const int VocabSize = 259;

    public static int[] Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var ids = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) ids[i] = bytes[i];
        return ids;
    }

    /// <summary>Decodes byte tokens as UTF-8 (invalid sequences become U+FFFD); special tokens are skipped.</summary>
    public static string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new byte[ids.Length];
        var n = 0;
        foreach (var id in ids)
        {
            if (id is >= 0 and < 256) bytes[n++] = (byte)id;
        }
        return Encoding.UTF8.GetString(bytes, 0, n);
    }

    public static bool IsSpecial(int id) => id >= 256;
}
