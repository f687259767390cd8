namespace AgentOps.Trainer.Torch;

/// <summary>Element types; the numbers are the shim's dtype codes (agentops_torch.cpp, dtype_of).</summary>
public enum ScalarType
{
    Float32 = 0,
    Int64 = 1,
    Bool = 2,
    Int32 = 3,
    Float64 = 4,
    Float16 = 5,
    BFloat16 = 6,
    UInt8 = 7,
}

/// <summary>Sizes of element types.</summary>
public static class ScalarTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this ScalarType t) => t switch
    {
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Bool or ScalarType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown scalar type"),
    };
}
