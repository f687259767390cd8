using AgentOps.Trainer.Torch;

namespace AgentOps.Trainer.Tests.Torch;

public class TensorTests
{
    [Fact]
    public void Values_round_trip_with_shape_and_dtype()
    {
        using var t = Tensor.From([1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
        Assert.Equal([2L, 3L], t.Shape);
        Assert.Equal(ScalarType.Float32, t.DType);
        Assert.Equal(Device.Cpu, t.Device);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], t.ToFloatArray());
        using var ids = Tensor.From([3, 1, 2]);
        Assert.Equal(ScalarType.Int64, ids.DType);
        Assert.Equal([3L, 1L, 2L], ids.ToLongArray());
    }

    [Fact]
    public void Arithmetic_broadcasts_like_torch()
    {
        using var scope = DisposeScope.Begin();
        var a = Tensor.From([1f, 2f, 3f, 4f], [2, 2]);
        var b = Tensor.From([10f, 20f], [2]);
        Assert.Equal([11f, 22f, 13f, 24f], (a + b).ToFloatArray());
        Assert.Equal([-1f, -2f, -3f, -4f], (-a).ToFloatArray());
        Assert.Equal([1f, 0f, -1f, -2f], (2.0 - a).ToFloatArray());
        Assert.Equal([7f, 10f, 15f, 22f], a.MatMul(a).ToFloatArray());
        Assert.Equal(10f, a.Sum().ItemFloat());
        Assert.Equal([3f, 7f], a.Sum(1).ToFloatArray());
        Assert.Equal([2f, 3f], a.Mean(0).ToFloatArray());
        Assert.Equal([2f, 4f], a.Max(1).ToFloatArray());
        Assert.Equal([1L, 1L], a.ArgMax(1).ToLongArray());
        Assert.Equal([2f, 2f, 3f, 3f], a.Clamp(2, 3).ToFloatArray());
        Assert.Equal([1f, 3f, 2f, 4f], a.Transpose(0, 1).Contiguous().ToFloatArray());
        Assert.Equal([3f, 4f], a.Slice(0, 1, 2).Reshape(-1).ToFloatArray());
        Assert.Equal([1f, 2f, 3f, 4f, 1f, 2f, 3f, 4f], Tensor.Cat([a, a], 0).ToFloatArray());
        Assert.Equal([0f, 2f, 3f, 4f], a.MaskedFill(a.Lt(2), 0).ToFloatArray());
    }

    [Fact]
    public void Libtorch_errors_surface_as_exceptions_with_its_message()
    {
        using var a = Tensor.Zeros([2, 3]);
        using var b = Tensor.Zeros([4, 5]);
        var e = Assert.Throws<TorchException>(() => a.MatMul(b));
        // libtorch: "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"
        Assert.Contains("2x3 and 4x5", e.Message);
        // The shim keeps working after an error.
        using var c = a.MatMul(Tensor.Zeros([3, 1]).DetachFromDisposeScope());
        Assert.Equal([2L, 1L], c.Shape);
    }

    [Fact]
    public void Dispose_scope_frees_temporaries_and_keeps_moved_results()
    {
        Tensor kept, temp;
        using (var outer = DisposeScope.Begin())
        {
            using (DisposeScope.Begin())
            {
                var x = Tensor.Ones([3]);
                temp = x * 2.0;
                kept = (x + temp).MoveToOuterDisposeScope();
            }
            Assert.True(temp.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal([3f, 3f, 3f], kept.ToFloatArray());
            Assert.Equal(1, outer.Count);
        }
        Assert.True(kept.IsDisposed);
    }

    [Fact]
    public void No_grad_scope_stops_recording_on_this_thread_only()
    {
        using var p = new Parameter(Tensor.Ones([2]).DetachFromDisposeScope());
        Assert.True(NoGradScope.IsGradEnabled);
        using (new NoGradScope())
        {
            Assert.False(NoGradScope.IsGradEnabled);
            using var y = p * 3.0;
            Assert.False(y.RequiresGrad);
            var other = false;
            var thread = new Thread(() => other = NoGradScope.IsGradEnabled);
            thread.Start();
            thread.Join();
            Assert.True(other);
        }
        Assert.True(NoGradScope.IsGradEnabled);
        using var z = p * 3.0;
        Assert.True(z.RequiresGrad);
    }

    [Fact]
    public void Seeded_randn_is_reproducible()
    {
        using var a = Tensor.Randn([16], 42);
        using var b = Tensor.Randn([16], 42);
        using var c = Tensor.Randn([16], 43);
        Assert.Equal(a.ToFloatArray(), b.ToFloatArray());
        Assert.NotEqual(a.ToFloatArray(), c.ToFloatArray());
    }

    [Fact]
    public void Gemm_check_reports_speed_and_threads()
    {
        TorchRuntime.Initialize();
        var r = GemmCheck.Measure(Device.Cpu, size: 256, repeats: 2);
        Assert.True(r.GFlops > 0, r.Describe());
        Assert.Equal(Environment.ProcessorCount, r.Threads);
        Assert.Contains("GFLOP/s", r.Describe());
    }
}
