using System.Collections;
using System.Text;

namespace AgentOps.Protos.Grpc;

/// <summary>
/// Request headers, response headers or trailers (Grpc.Core's <c>Metadata</c>). Keys are lower-case ASCII;
/// keys ending in <c>-bin</c> carry bytes, base64-encoded on the wire (gRPC over HTTP/2, "Custom-Metadata").
/// </summary>
public sealed class Metadata : IList<Metadata.Entry>
{
    public const string BinaryHeaderSuffix = "-bin";
    private readonly List<Entry> _entries = [];

    public static Metadata Empty => new();

    public Entry this[int index] { get => _entries[index]; set => _entries[index] = value; }
    public int Count => _entries.Count;
    public bool IsReadOnly => false;

    public void Add(string key, string value) => _entries.Add(new Entry(key, value));
    public void Add(string key, byte[] valueBytes) => _entries.Add(new Entry(key, valueBytes));
    public void Add(Entry item) => _entries.Add(item);

    /// <summary>The last entry with this key, or null.</summary>
    public Entry? Get(string key)
    {
        key = key.ToLowerInvariant();
        for (var i = _entries.Count - 1; i >= 0; i--)
            if (_entries[i].Key == key) return _entries[i];
        return null;
    }

    /// <summary>The string value of the last entry with this key, or null.</summary>
    public string? GetValue(string key) => Get(key)?.Value;

    public IEnumerable<Entry> GetAll(string key)
    {
        key = key.ToLowerInvariant();
        return _entries.Where(e => e.Key == key);
    }

    public void Clear() => _entries.Clear();
    public bool Contains(Entry item) => _entries.Contains(item);
    public void CopyTo(Entry[] array, int arrayIndex) => _entries.CopyTo(array, arrayIndex);
    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();
    public int IndexOf(Entry item) => _entries.IndexOf(item);
    public void Insert(int index, Entry item) => _entries.Insert(index, item);
    public bool Remove(Entry item) => _entries.Remove(item);
    public void RemoveAt(int index) => _entries.RemoveAt(index);
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public sealed class Entry
    {
        private readonly string? _value;
        private readonly byte[]? _bytes;

        public Entry(string key, string value)
        {
            Key = NormalizeKey(key);
            if (IsBinary) throw new ArgumentException($"metadata key '{Key}' ends in -bin: pass a byte[] value", nameof(key));
            foreach (var c in value)
                if (c < 0x20 || c > 0x7E)
                    throw new ArgumentException($"metadata '{Key}': value has a non-printable-ASCII character U+{(int)c:X4}; use a -bin key", nameof(value));
            _value = value;
        }

        public Entry(string key, byte[] valueBytes)
        {
            Key = NormalizeKey(key);
            if (!IsBinary) throw new ArgumentException($"metadata key '{Key}' must end in -bin to carry bytes", nameof(key));
            _bytes = valueBytes;
        }

        public string Key { get; }
        public bool IsBinary => Key.EndsWith(BinaryHeaderSuffix, StringComparison.Ordinal);
        public string Value => _value ?? throw new InvalidOperationException($"metadata '{Key}' is binary: read ValueBytes");
        public byte[] ValueBytes => _bytes ?? Encoding.ASCII.GetBytes(_value!);

        public override string ToString() => IsBinary ? $"{Key}=[{_bytes!.Length} bytes]" : $"{Key}={_value}";

        private static string NormalizeKey(string key)
        {
            if (string.IsNullOrEmpty(key)) throw new ArgumentException("metadata key is empty", nameof(key));
            var lower = key.ToLowerInvariant();
            foreach (var c in lower)
                if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.'))
                    throw new ArgumentException($"metadata key '{key}' has character '{c}' (allowed: a-z 0-9 - _ .)", nameof(key));
            return lower;
        }
    }
}
