using AgentOps.Trainer.Rollout;
using AgentOps.Trainer.Torch;

namespace AgentOps.Trainer.Algorithms;

/// <summary>A <see cref="TrainingBatch"/> as [B,T] tensors on the training device.</summary>
public sealed class BatchTensors : IDisposable
{
    public BatchTensors(TrainingBatch batch, Device device)
    {
        long[] shape = [batch.Rows, batch.Columns];
        Batch = batch;
        Inputs = Tensor.From(batch.Inputs, shape, device);
        Targets = Tensor.From(batch.Targets, shape, device);
        Mask = Tensor.From(batch.LossMask, shape, device);
        BehaviourLogProbs = Tensor.From(batch.BehaviourLogProbs, shape, device);
        Advantages = Tensor.From(batch.Advantages, shape, device);
        Returns = Tensor.From(batch.Returns, shape, device);
        MaskedTokens = batch.MaskedTokens;
    }

    public TrainingBatch Batch { get; }
    public Tensor Inputs { get; }
    public Tensor Targets { get; }
    public Tensor Mask { get; }
    public Tensor BehaviourLogProbs { get; }
    public Tensor Advantages { get; }
    public Tensor Returns { get; }
    public int MaskedTokens { get; }

    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
        Mask.Dispose();
        BehaviourLogProbs.Dispose();
        Advantages.Dispose();
        Returns.Dispose();
    }
}
