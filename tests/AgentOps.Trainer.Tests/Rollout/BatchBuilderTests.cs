using AgentOps.Protos.Tokenization;
using AgentOps.Trainer.Rollout;
using static AgentOps.Trainer.Tests.Rollout.TestTrajectories;

namespace AgentOps.Trainer.Tests.Rollout;

public class BatchBuilderTests
{
    [Fact]
    public void Rows_are_padded_with_pad_tokens_and_zero_mask()
    {
        var short1 = TrajectoryPacker.Pack(Episode("s", "g", 1, Prompt("a"), Generated("bc", 0, 1, -1f)), 512);
        var long1 = TrajectoryPacker.Pack(Episode("l", "g", 0, Prompt("ab"), Generated("cde", 0, 1, -2f)), 512);
        var b = BatchBuilder.Build([short1, long1], [[0.5f, 0.5f], [9f, 1f, 1f, 1f]]);

        Assert.Equal(2, b.Rows);
        Assert.Equal(4, b.Columns);
        Assert.Equal(new[] { (int)'a', 'b', ByteTokenizer.Pad, ByteTokenizer.Pad }, b.Inputs[..4]);
        Assert.Equal(new[] { (int)'b', 'c', ByteTokenizer.Pad, ByteTokenizer.Pad }, b.Targets[..4]);
        Assert.Equal(new[] { 1f, 1f, 0f, 0f, 0f, 1f, 1f, 1f }, b.LossMask);
        Assert.Equal(new[] { -1f, -1f, 0f, 0f, 0f, -2f, -2f, -2f }, b.BehaviourLogProbs);
        // The advantage on a mask-0 position (the prompt target of row 2) is zeroed.
        Assert.Equal(new[] { 0.5f, 0.5f, 0f, 0f, 0f, 1f, 1f, 1f }, b.Advantages);
        Assert.Equal(5, b.MaskedTokens);
    }
}
