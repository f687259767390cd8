using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;
using AgentOps.Trainer.Rollout;
using static AgentOps.Trainer.Tests.Rollout.TestTrajectories;

namespace AgentOps.Trainer.Tests.Rollout;

public class TrajectoryPackerTests
{
    [Fact]
    public void Segments_are_concatenated_and_masks_shifted_to_target_positions()
    {
        var t = Episode("t1", "g", 1.0,
            Prompt("ab"),
            Generated("cd", 0, 3, -0.25f),
            ToolOutput("ef", 0),
            Generated("gh", 1, 4, -0.75f));

        var p = TrajectoryPacker.Pack(t, 512);

        Assert.Equal(ByteTokenizer.Encode("abcdefgh"), p.Tokens);
        // Target i is token i+1: b c d e f g h
        Assert.Equal(new byte[] { 0, 1, 1, 0, 0, 1, 1 }, p.LossMask);
        Assert.Equal(new[] { 0f, -0.25f, -0.25f, 0f, 0f, -0.75f, -0.75f }, p.BehaviourLogProbs);
        Assert.Equal(new long[] { 0, 3, 3, 0, 0, 4, 4 }, p.PolicyVersions);
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 1, 1 }, p.StepIndex);
        Assert.Equal(3, p.OldestPolicyVersion);
        Assert.Equal(2, p.StepCount);
        Assert.Equal(4, p.TrainedTokens);
        Assert.Equal(1.0, p.Reward);
        Assert.False(p.Truncated);
    }

    [Fact]
    public void Long_sequences_keep_their_first_max_tokens()
    {
        var t = Episode("t1", "g", 1.0, Prompt("abcd"), Generated("efgh", 0, 1));
        var p = TrajectoryPacker.Pack(t, 6);
        Assert.Equal(ByteTokenizer.Encode("abcdef"), p.Tokens);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 1 }, p.LossMask);
        Assert.True(p.Truncated);
    }

    [Fact]
    public void A_loss_mask_of_the_wrong_length_names_the_segment_and_the_counts()
    {
        var t = Episode("bad", "g", 1.0, Prompt("ab"), Generated("cd", 0, 1));
        t.Segments[1].LossMask = Google.Protobuf.ByteString.CopyFrom(1);
        var e = Assert.Throws<InvalidTrajectoryException>(() => TrajectoryPacker.Pack(t, 512));
        Assert.Contains("segments[1].loss_mask", e.Message);
        Assert.Contains("(2), got 1", e.Message);
    }

    [Fact]
    public void Tool_output_with_mask_one_is_rejected()
    {
        var seg = Segment(SegmentKind.ToolOutput, "xy", 0, 0, null);
        seg.LossMask = Google.Protobuf.ByteString.CopyFrom(1, 1);
        var t = Episode("bad", "g", 1.0, Prompt("ab"), seg);
        var e = Assert.Throws<InvalidTrajectoryException>(() => TrajectoryPacker.Pack(t, 512));
        Assert.Contains("segments[1].loss_mask[0]: must be 0 for kind ToolOutput", e.Message);
    }

    [Fact]
    public void Infrastructure_failures_carry_no_reward()
    {
        var p = TrajectoryPacker.Pack(Simple("t", "g", 1.0, status: OutcomeStatus.InfraPreempted), 512);
        Assert.Equal(0.0, p.Reward);
    }

    [Fact]
    public void Demonstrations_without_logprobs_have_no_policy_version()
    {
        var t = Episode("d", "g", 1.0, Prompt("ab"), Segment(SegmentKind.Generated, "cd", 0, 0, null));
        var p = TrajectoryPacker.Pack(t, 512);
        Assert.Equal(-1, p.OldestPolicyVersion);
        Assert.Equal(2, p.TrainedTokens);
    }
}
