namespace AgentOps.Trainer.Torch;

/// <summary>An error raised inside libtorch (shape mismatch, bad dtype, out of memory...), with libtorch's message.</summary>
public sealed class TorchException(string message) : Exception(message);
