using AgentOps.Trainer.Rollout;
using static TorchSharp.torch;

namespace AgentOps.Trainer.Algorithms;

/// <summary>A <see cref="TrainingBatch"/> as [B,T] tensors on the training device.</summary>
public sealed class BatchTensors : IDisposable
{
    public BatchTensors(TrainingBatch batch, Device device)
    {
        long[] shape = [batch.Rows, batch.Columns];
        Batch = batch;
        Inputs = tensor(batch.Inputs, shape, device: device);
        Targets = tensor(batch.Targets, shape, device: device);
        Mask = tensor(batch.LossMask, shape, device: device);
        BehaviourLogProbs = tensor(batch.BehaviourLogProbs, shape, device: device);
        Advantages = tensor(batch.Advantages, shape, device: device);
        Returns = tensor(batch.Returns, shape, device: device);
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
