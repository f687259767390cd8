namespace AgentOps.Trainer.Torch;

/// <summary>Where a tensor lives: the CPU (the default value) or a CUDA device.</summary>
public readonly record struct Device
{
    // 0 = CPU, N + 1 = cuda:N, so that default(Device) is the CPU.
    private readonly int _code;

    private Device(int code) => _code = code;

    /// <summary>The CPU.</summary>
    public static Device Cpu => default;

    /// <summary>CUDA device <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) =>
        index >= 0 ? new(index + 1) : throw new ArgumentOutOfRangeException(nameof(index), index, "CUDA device index must be >= 0");

    /// <summary>The shim's device code: -1 for the CPU, N for cuda:N.</summary>
    public int Index => _code - 1;

    /// <summary>True for a CUDA device.</summary>
    public bool IsCuda => _code > 0;

    internal static Device FromIndex(int index) => new(index + 1);

    /// <summary>"cpu", "cuda", "cuda:N", or "auto" (CUDA 0 when libtorch sees a GPU, else the CPU).</summary>
    public static Device Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "cpu" => Cpu,
        "cuda" => Cuda(0),
        "auto" => TorchRuntime.CudaIsAvailable ? Cuda(0) : Cpu,
        var s when s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s[5..], out var i) && i >= 0 => Cuda(i),
        _ => throw new ArgumentException($"device: expected cpu, cuda, cuda:N or auto, got '{text}'", nameof(text)),
    };

    /// <inheritdoc/>
    public override string ToString() => IsCuda ? $"cuda:{Index}" : "cpu";
}
