using TorchSharp;

namespace AgentOps.Trainer.Engine;

/// <summary>The trainer's device setting (<c>spec.trainer.device</c>) turned into a TorchSharp device.</summary>
public static class TorchDevices
{
    /// <summary>"cpu", "cuda", "cuda:N", or "auto" (cuda:0 when a GPU is usable, else the CPU). "cuda" without a usable
    /// GPU throws <see cref="ArgumentException"/> saying why (a CPU build, or no device visible).</summary>
    public static torch.Device Resolve(string setting, string field = "spec.trainer.device")
    {
        TorchRuntime.Initialize();
        var text = setting.Trim().ToLowerInvariant();
        if (text == "cpu") return torch.CPU;
        if (text == "auto") return CudaUsable() ? torch.CUDA : torch.CPU;
        var index = text == "cuda" ? 0
            : text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text[5..], out var i) && i >= 0 ? i
            : throw new ArgumentException($"{field}: must be cpu or cuda, got \"{setting}\"");
        if (!CudaUsable())
            throw new ArgumentException($"{field}: \"{setting}\", but no GPU is usable: {WhyNoCuda()}");
        var count = torch.cuda.device_count();
        if (index >= count) throw new ArgumentException($"{field}: \"{setting}\", but libtorch sees {count} CUDA device(s)");
        return new torch.Device(DeviceType.CUDA, index);
    }

    /// <summary>True when this build can run CUDA kernels and libtorch sees a device.</summary>
    public static bool CudaUsable() => TorchRuntime.Variant == "cuda" && torch.cuda.is_available();

    private static string WhyNoCuda() => TorchRuntime.Variant != "cuda"
        ? "this agentops-trainer is the CPU build (libtorch-cpu-linux-x64); use the CUDA image (trainer/Dockerfile, --build-arg TORCH_VARIANT=cuda)"
        : "libtorch has CUDA but sees no device (torch.cuda.is_available() is false): give the pod an nvidia.com/gpu " +
          "resource (the operator does for spec.trainer.device: cuda) and check the NVIDIA driver and device plugin";
}
