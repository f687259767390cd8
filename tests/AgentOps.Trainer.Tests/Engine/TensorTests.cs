using AgentOps.Trainer.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Tests.Engine;

/// <summary>What the trainer relies on from TorchSharp beyond the ops themselves: copies out of tensors, libtorch's
/// errors as exceptions, dispose scopes, thread-local no_grad, seeded generators, the GEMM check.</summary>
public class TensorTests
{
    [Fact]
    public void Values_come_out_as_managed_arrays_in_any_dtype()
    {
        using var scope = NewDisposeScope();
        var t = tensor(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, [2, 3]);
        Assert.Equal([2L, 3L], t.shape);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], t.ToFloats());
        Assert.Equal([1.0, 4.0], t.transpose(0, 1).narrow(0, 0, 1).ToDoubles()); // a non-contiguous view
        Assert.Equal([3L, 1L, 2L], tensor(new long[] { 3, 1, 2 }).ToLongs());
        Assert.Equal([1L, 0L], tensor(new[] { true, false }).ToLongs());
        // t, the transposed view, its narrowed view and the two small tensors: the copies' own temporaries are gone.
        Assert.Equal(5, scope.DisposablesCount);
    }

    [Fact]
    public void Libtorch_errors_surface_as_exceptions_with_its_message()
    {
        // The model multiplies through linear(), whose binding turns libtorch's error into an exception. (TorchSharp
        // 0.107's matmul binding catches nothing: a shape error there aborts the process, so the model never calls it.)
        using var a = zeros(2, 3);
        using var b = zeros(5, 4);
        var e = Assert.ThrowsAny<Exception>(() => nn.functional.linear(a, b));
        Assert.Contains("2x3 and 4x5", e.Message); // libtorch: "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"
        using var c = zeros(1, 3);
        using var d = nn.functional.linear(a, c);
        Assert.Equal([2L, 1L], d.shape);
    }

    [Fact]
    public void A_parameter_made_inside_a_scope_outlives_it()
    {
        TorchSharp.Modules.Parameter p;
        using (NewDisposeScope()) p = (ones(3) * 2.0).AsModuleParameter();
        Assert.False(p.IsInvalid);
        Assert.Equal([2f, 2f, 2f], p.ToFloats());
        Assert.True(p.requires_grad);
        p.Dispose();
    }

    [Fact]
    public void Dispose_scope_frees_temporaries_and_keeps_moved_results()
    {
        Tensor kept, temp;
        using (var outer = NewDisposeScope())
        {
            using (NewDisposeScope())
            {
                var x = ones(3);
                temp = x * 2.0;
                kept = (x + temp).MoveToOuterDisposeScope();
            }
            Assert.True(temp.IsInvalid);
            Assert.False(kept.IsInvalid);
            Assert.Equal([3f, 3f, 3f], kept.ToFloats());
            Assert.Equal(1, outer.DisposablesCount);
        }
        Assert.True(kept.IsInvalid);
    }

    [Fact]
    public void No_grad_stops_recording_on_this_thread_only()
    {
        using var p = new TorchSharp.Modules.Parameter(ones(2));
        Assert.True(is_grad_enabled());
        using (no_grad())
        {
            Assert.False(is_grad_enabled());
            using var y = p * 3.0;
            Assert.False(y.requires_grad);
            var other = false;
            var thread = new Thread(() => other = is_grad_enabled());
            thread.Start();
            thread.Join();
            Assert.True(other);
        }
        Assert.True(is_grad_enabled());
        using var z = p * 3.0;
        Assert.True(z.requires_grad);
    }

    [Fact]
    public void Clearing_gradients_leaves_none_so_adamw_skips_a_parameter_outside_the_loss()
    {
        using var used = new TorchSharp.Modules.Parameter(ones(2));
        using var unused = new TorchSharp.Modules.Parameter(ones(2));
        using var opt = new NamedAdamW([("used", used), ("unused", unused)], new AdamWOptions { LearningRate = 0.1, WeightDecay = 0.1 });
        for (var step = 0; step < 2; step++)
        {
            using var scope = NewDisposeScope();
            opt.ZeroGrad();
            // Step 0 trains both, step 1 only `used`: `unused` must not move on the momentum of step 0.
            (step == 0 ? (used * unused).sum() : used.sum()).backward();
            Assert.Null(step == 1 ? unused.grad : null);
            opt.Step();
        }
        var after = unused.ToFloats();
        Assert.Equal(2, opt.StepCount);
        using var reference = new TorchSharp.Modules.Parameter(ones(2));
        using var once = new NamedAdamW([("r", reference)], new AdamWOptions { LearningRate = 0.1, WeightDecay = 0.1 });
        (reference * ones(2)).sum().backward();
        once.Step();
        Assert.Equal(reference.ToFloats(), after);
    }

    [Fact]
    public void Seeded_generators_are_reproducible()
    {
        using var scope = NewDisposeScope();
        using var g1 = new torch.Generator(42, CPU);
        using var g2 = new torch.Generator(42, CPU);
        using var g3 = new torch.Generator(43, CPU);
        Assert.Equal(randn([16], generator: g1).ToFloats(), randn([16], generator: g2).ToFloats());
        Assert.NotEqual(randn([16], generator: g1).ToFloats(), randn([16], generator: g3).ToFloats());
    }

    [Fact]
    public void Gemm_check_reports_speed_threads_and_the_blas()
    {
        var r = GemmCheck.Measure(CPU, size: 256, repeats: 2);
        Assert.True(r.GFlops > 0, r.Describe());
        Assert.Equal(TorchRuntime.DefaultThreads, r.Threads);
        Assert.Contains("GFLOP/s", r.Describe());
        // libtorch's Linux builds link MKL into libtorch_cpu.so; its version string names it.
        Assert.Contains("Math Kernel Library", r.Blas);
    }
}
