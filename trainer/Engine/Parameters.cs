using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Engine;

/// <summary>Creating module parameters.</summary>
public static class Parameters
{
    /// <summary>A trainable parameter over <paramref name="data"/>, taken out of the current dispose scope: TorchSharp
    /// attaches a new Parameter to the scope it was created in, and the module that registers it owns it instead.</summary>
    public static Parameter AsModuleParameter(this Tensor data)
    {
        var p = new Parameter(data);
        p.DetachFromDisposeScope();
        return p;
    }
}
