namespace AgentOps.Trainer.Torch;

/// <summary>Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_), in one native call.</summary>
public static class GradClip
{
    /// <summary>Scales every gradient by maxNorm / (norm + 1e-6) when the global L2 norm exceeds
    /// <paramref name="maxNorm"/> (&lt;= 0: measure only). Returns the norm before clipping.</summary>
    public static unsafe double ClipGradNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        var hs = Tensor.Handles(parameters);
        double norm;
        fixed (nint* p = hs) Native.Check(Native.ato_clip_grad_norm(p, hs.Length, maxNorm, out norm));
        GC.KeepAlive(parameters);
        return norm;
    }
}
