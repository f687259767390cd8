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

    [Fact]
    public void Parts_group_rows_by_length_and_pad_each_part_only_to_its_longest_row()
    {
        // Row lengths (tokens - 1) 2, 8, 3, 7, 1: with 16 positions per part the parts are {8, 7} (width 8) and {3, 2, 1} (width 3).
        var texts = new[] { "ab", "abcdefgh", "abc", "abcdefg", "a" };
        var rows = texts.Select((t, i) => TrajectoryPacker.Pack(Episode($"r{i}", "g", 1, Prompt("Q"), Generated(t, 0, 1, -i)), 512)).ToList();
        var batch = BatchBuilder.Build(rows);
        Assert.Equal(8, batch.Columns);
        Assert.Equal(2 + 8 + 3 + 7 + 1, batch.Tokens);

        var parts = batch.Parts(16).ToList();

        Assert.Equal([(2, 8), (3, 3)], parts.Select(p => (p.Rows, p.Columns)));
        Assert.Equal(batch.MaskedTokens, parts.Sum(p => p.MaskedTokens));
        Assert.Equal(batch.Tokens, parts.Sum(p => p.Tokens));
        // Every row arrives once, with its tokens, mask and log-probs intact; in a part, only its own padding.
        var seen = parts.SelectMany(p => Enumerable.Range(0, p.Rows).Select(r => (p, r))).Select(x =>
        {
            var (p, r) = x;
            var lp = p.BehaviourLogProbs[r * p.Columns + p.RowLengths![r] - 1];
            var i = (int)-lp;
            var original = Enumerable.Range(0, p.Columns).Select(t => batch.Inputs[i * batch.Columns + t]);
            Assert.Equal(original, p.Inputs.Skip(r * p.Columns).Take(p.Columns));
            Assert.Equal(rows[i].Length, p.RowLengths[r]);
            return i;
        }).Order();
        Assert.Equal([0, 1, 2, 3, 4], seen);
        // A row longer than the budget is a part alone.
        Assert.Equal([1, 1, 1, 1, 1], batch.Parts(1).Select(p => p.Rows));
    }
}
