namespace AgentOps.Trainer.Torch;

/// <summary>
/// Turns autograd recording off on the calling thread until disposed (libtorch's thread-local GradMode,
/// <c>torch.no_grad()</c>): <c>using var _ = new NoGradScope();</c>. Restores the previous setting.
/// </summary>
public readonly struct NoGradScope : IDisposable
{
    private readonly bool _previous;

    /// <summary>Disables grad recording on this thread.</summary>
    public NoGradScope() => _previous = Native.ato_set_grad_enabled(0) != 0;

    /// <summary>Whether autograd is recording on this thread.</summary>
    public static bool IsGradEnabled => Native.ato_is_grad_enabled() != 0;

    /// <summary>Restores the setting found at construction.</summary>
    public void Dispose() => Native.ato_set_grad_enabled(_previous ? 1 : 0);
}
