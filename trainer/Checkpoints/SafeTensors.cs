using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Checkpoints;

/// <summary>One tensor read from a safetensors file: raw little-endian bytes plus dtype and shape.</summary>
public sealed record SafeTensorEntry(ScalarType DType, long[] Shape, byte[] Data)
{
    /// <summary>Copies the bytes into a new tensor on <paramref name="device"/> (the CPU by default; joins the current
    /// dispose scope).</summary>
    public Tensor ToTensor(Device? device = null)
    {
        using var scope = NewDisposeScope();
        var t = empty(Shape, DType);
        t.bytes = Data;
        return t.to(device ?? CPU).MoveToOuterDisposeScope();
    }
}

/// <summary>The contents of a safetensors file.</summary>
public sealed record SafeTensorFile(IReadOnlyDictionary<string, SafeTensorEntry> Tensors, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// The safetensors format (huggingface/safetensors, "Format"): 8-byte little-endian header size N, N bytes of
/// UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}} padded with
/// spaces to 8-byte alignment, then the raw little-endian tensor bytes, offsets relative to the end of the header.
/// Ours because TorchSharp has no safetensors support and TorchSharp.PyBridge's writer drops <c>__metadata__</c>
/// (which holds our model config and optimizer step) and does not pad the header.
/// </summary>
public static class SafeTensors
{
    private const ulong MaxHeaderBytes = 100_000_000; // the reference implementation's limit

    /// <summary>Writes <paramref name="tensors"/> (names must be unique) to <paramref name="path"/>, flushed to disk.</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Value)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var blobs = new List<(string Name, ScalarType DType, long[] Shape, byte[] Data)>();
        var names = new HashSet<string>();
        foreach (var (name, t) in tensors)
        {
            if (!names.Add(name)) throw new ArgumentException($"safetensors: duplicate tensor name '{name}'", nameof(tensors));
            if (name == "__metadata__") throw new ArgumentException("safetensors: '__metadata__' is reserved", nameof(tensors));
            blobs.Add((name, t.dtype, t.shape, Bytes(t)));
        }
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var b in blobs)
            {
                w.WriteStartObject(b.Name);
                w.WriteString("dtype", DTypeName(b.DType));
                w.WriteStartArray("shape");
                foreach (var d in b.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + b.Data.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += b.Data.Length;
            }
            w.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        f.Write(len);
        header.Position = 0;
        header.CopyTo(f);
        foreach (var b in blobs) f.Write(b.Data);
        f.Flush(flushToDisk: true);
    }

    /// <summary>Reads and validates a safetensors file; errors name the file, the tensor and the bad field.</summary>
    public static SafeTensorFile Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: {bytes.Length} bytes, too short for a safetensors header");
        var n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeaderBytes || 8 + n > (ulong)bytes.Length)
            throw new InvalidDataException($"{path}: header size {n} does not fit the file of {bytes.Length} bytes");
        var dataStart = 8 + (int)n;
        var dataLength = bytes.Length - dataStart;
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: header is not a JSON object");
        var tensors = new Dictionary<string, SafeTensorEntry>();
        var metadata = new Dictionary<string, string>();
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                foreach (var m in prop.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()!
                        : throw new InvalidDataException($"{path}: __metadata__.{m.Name} must be a string");
                continue;
            }
            var where = $"{path}: tensor '{prop.Name}'";
            var dtype = ParseDType(prop.Value.GetProperty("dtype").GetString() ?? "", where);
            var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var offs = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (offs.Length != 2 || offs[0] < 0 || offs[1] < offs[0] || offs[1] > dataLength)
                throw new InvalidDataException($"{where}: data_offsets [{string.Join(", ", offs)}] outside the {dataLength} data bytes");
            var expected = shape.Aggregate(1L, (a, d) => a * d) * ElementSize(dtype);
            if (offs[1] - offs[0] != expected)
                throw new InvalidDataException($"{where}: shape [{string.Join(", ", shape)}] of {DTypeName(dtype)} needs {expected} bytes, data_offsets span {offs[1] - offs[0]}");
            tensors[prop.Name] = new SafeTensorEntry(dtype, shape, bytes.AsSpan(dataStart + (int)offs[0], (int)(offs[1] - offs[0])).ToArray());
        }
        return new SafeTensorFile(tensors, metadata);
    }

    /// <summary>The format's dtype string.</summary>
    public static string DTypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "no safetensors dtype"),
    };

    private static int ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 => 2,
        _ => 1,
    };

    /// <summary>The raw little-endian bytes of <paramref name="t"/> in its own dtype.</summary>
    private static byte[] Bytes(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().cpu().contiguous().bytes.ToArray();
    }

    private static ScalarType ParseDType(string s, string where) => s switch
    {
        "F32" => ScalarType.Float32,
        "F64" => ScalarType.Float64,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new InvalidDataException($"{where}: unsupported dtype '{s}'"),
    };

}
