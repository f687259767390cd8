using AgentOps.Trainer.Engine;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Tests.Engine;

/// <summary>Finite-difference gradient check in float64 (torch.autograd.gradcheck's central differences).</summary>
internal static class GradCheck
{
    /// <summary>Compares d f(inputs) / d inputs[i] from backward() with (f(x+h) - f(x-h)) / 2h, element by element.
    /// <paramref name="f"/> must return a scalar.</summary>
    public static void Check(Func<Tensor[], Tensor> f, params (double[] Data, long[] Shape)[] inputs)
    {
        const double h = 1e-6, tol = 1e-5;
        using var scope = NewDisposeScope();
        var xs = inputs.Select(i => tensor(i.Data, i.Shape, requires_grad: true)).ToArray();
        f(xs).backward();
        for (var k = 0; k < inputs.Length; k++)
        {
            var analytic = xs[k].grad?.ToDoubles() ?? throw new InvalidOperationException($"input {k} got no gradient");
            for (var e = 0; e < inputs[k].Data.Length; e++)
            {
                var numeric = (Eval(f, inputs, k, e, h) - Eval(f, inputs, k, e, -h)) / (2 * h);
                var err = Math.Abs(numeric - analytic[e]);
                Assert.True(err <= tol * Math.Max(1, Math.Abs(numeric)),
                    $"input {k} element {e}: analytic {analytic[e]:G9}, numeric {numeric:G9}");
            }
        }
    }

    private static double Eval(Func<Tensor[], Tensor> f, (double[] Data, long[] Shape)[] inputs, int k, int e, double delta)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var xs = inputs.Select((i, j) =>
        {
            var d = (double[])i.Data.Clone();
            if (j == k) d[e] += delta;
            return tensor(d, i.Shape);
        }).ToArray();
        return f(xs).ToDoubles()[0];
    }

    public static double[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
    }

    /// <summary>An int64 tensor of token ids or indices (TorchSharp makes int32 tensors from int arrays).</summary>
    public static Tensor Ids(int[] ids, params long[] shape) => tensor(ids.Select(x => (long)x).ToArray(), shape.Length == 0 ? [ids.Length] : shape);
}
