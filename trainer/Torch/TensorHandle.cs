using System.Runtime.InteropServices;

namespace AgentOps.Trainer.Torch;

/// <summary>Owns one <c>at::Tensor*</c> from the shim; freed exactly once (dispose or finalizer).</summary>
internal sealed class TensorHandle : SafeHandle
{
    public TensorHandle() : base(0, ownsHandle: true) { }

    public TensorHandle(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        Native.ato_free(handle);
        return true;
    }
}
