using AgentOps.Protos.Tokenization;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Model;

/// <summary>
/// A right-padded next-token batch built from whole sequences: <see cref="Inputs"/>[b,t] = seq[t] and
/// <see cref="Targets"/>[b,t] = seq[t+1], T = longest length - 1, padded with <c>ByteTokenizer.Pad</c>.
/// <see cref="LossMask"/>[b,t] (float 0/1) is the per-token mask of the TARGET token (mask[t+1]) and 0 on padding,
/// so tool output (mask 0) and pads never reach a loss. The tensors join the current DisposeScope.
/// </summary>
public sealed record TokenBatch(Tensor Inputs, Tensor Targets, Tensor LossMask, int Batch, int Length)
{
    /// <summary>Builds the batch; <paramref name="masks"/> (one byte per token, as in trajectory.proto) may be null
    /// (every real target counts). Sequences need at least 2 tokens.</summary>
    public static TokenBatch Create(IReadOnlyList<int[]> sequences, IReadOnlyList<byte[]>? masks = null, Device? device = null)
    {
        if (sequences.Count == 0) throw new ArgumentException("token batch: no sequences", nameof(sequences));
        var t = sequences.Max(s => s.Length) - 1;
        if (t < 1) throw new ArgumentException($"token batch: sequences need at least 2 tokens, longest has {t + 1}", nameof(sequences));
        var b = sequences.Count;
        var inputs = new long[b * t];
        var targets = new long[b * t];
        var mask = new float[b * t];
        Array.Fill(inputs, ByteTokenizer.Pad);
        Array.Fill(targets, ByteTokenizer.Pad);
        for (var i = 0; i < b; i++)
        {
            var s = sequences[i];
            var m = masks?[i];
            if (m != null && m.Length != s.Length)
                throw new ArgumentException($"token batch: sequence {i} has {s.Length} tokens but {m.Length} mask bytes", nameof(masks));
            for (var j = 0; j + 1 < s.Length; j++)
            {
                inputs[i * t + j] = s[j];
                targets[i * t + j] = s[j + 1];
                mask[i * t + j] = m == null || m[j + 1] != 0 ? 1f : 0f;
            }
        }
        return new TokenBatch(tensor(inputs, [b, t], device: device), tensor(targets, [b, t], device: device),
            tensor(mask, [b, t], device: device), b, t);
    }
}
