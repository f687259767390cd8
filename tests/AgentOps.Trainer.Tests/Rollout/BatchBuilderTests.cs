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
        // Row lengths (tokens - 1) 2, 8, 3, 7, 1: with 16 positions per part and 4 positions' overhead per part the
        // parts are {8, 7} (width 8) and {3, 2, 1} (width 3): 25 + 2 x 4; {8}, {7}, {3, 2, 1} pads less (24) but costs 36.
        var texts = new[] { "ab", "abcdefgh", "abc", "abcdefg", "a" };
        var rows = texts.Select((t, i) => TrajectoryPacker.Pack(Episode($"r{i}", "g", 1, Prompt("Q"), Generated(t, 0, 1, -i)), 512)).ToList();
        var batch = BatchBuilder.Build(rows);
        Assert.Equal(8, batch.Columns);
        Assert.Equal(2 + 8 + 3 + 7 + 1, batch.Tokens);

        var parts = batch.Parts(16, partOverheadTokens: 4).ToList();

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
        // With no overhead per part nothing outweighs padding: every row is a part, unpadded.
        Assert.Equal([(1, 8), (1, 7), (1, 3), (1, 2), (1, 1)], batch.Parts(16).Select(p => (p.Rows, p.Columns)));
    }

    [Fact]
    public void One_long_row_is_a_part_of_its_own_instead_of_padding_the_next_longest_rows_to_its_length()
    {
        // 1 row of 300 positions and 23 of 90: by the position budget alone (8192) all 24 fit one part padded to
        // 300 (7,200 positions); cut after the long row they take 300 + 23 x 90 = 2,370.
        var rows = Enumerable.Range(0, 24).Select(i => TrajectoryPacker.Pack(
            Episode($"r{i}", "g", 1, Prompt("Q"), Generated(new string('x', i == 5 ? 300 : 90), 0, 1, -1)), 512)).ToList();
        var batch = BatchBuilder.Build(rows);
        Assert.Equal(300, batch.Columns);

        var parts = batch.Parts(8192, partOverheadTokens: 256).ToList();

        Assert.Equal([(1, 300), (23, 90)], parts.Select(p => (p.Rows, p.Columns)));
        Assert.Equal(batch.Tokens, parts.Sum(p => p.Tokens));
        // A saving smaller than the overhead of a second pass keeps the batch whole.
        Assert.Equal([(24, 300)], batch.Parts(8192, partOverheadTokens: 5000).Select(p => (p.Rows, p.Columns)));
        Assert.Same(batch, Assert.Single(batch.Parts(8192, partOverheadTokens: 5000)));
    }
}
