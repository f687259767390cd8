using Google.Protobuf;
using AgentOps.Protos.V1;
using AgentOps.Trainer.Rollout;
using static AgentOps.Trainer.Tests.Rollout.TestTrajectories;

namespace AgentOps.Trainer.Tests.Rollout;

public sealed class DemonstrationSetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agentops-demos-").FullName;

    private static Trajectory Demo(int i)
    {
        var t = Episode($"d{i}", $"g{i}", 1, Prompt($"Q:{i}+1="), Generated($"<answer>{i + 1}</answer>", 0, 0));
        t.Split = "sft";
        return t;
    }

    [Fact]
    public void The_buffer_fills_the_set_up_to_its_capacity_and_counts_the_surplus()
    {
        using var set = new DemonstrationSet(Path.Combine(_dir, "d.pb"), capacity: 3, maxTokens: 64, seed: 1);
        var buffer = new UpdateBuffer(new UpdateBufferOptions(MaxTokens: 64), set);
        for (var i = 0; i < 5; i++) buffer.Add(Demo(i));

        Assert.True(set.IsComplete);
        Assert.Equal(3, set.Count);
        Assert.Equal(0, buffer.DemonstrationCount); // nothing queued beside the set
        Assert.Equal(2, buffer.Counters.DroppedSplit);
        Assert.Equal(5, buffer.Counters.Ingested);
    }

    [Fact]
    public void Epochs_visit_every_demonstration_once_in_a_seeded_order()
    {
        using var set = new DemonstrationSet(Path.Combine(_dir, "d.pb"), capacity: 6, maxTokens: 64, seed: 7);
        for (var i = 0; i < 6; i++) set.TryAdd(Demo(i), TrajectoryPacker.Pack(Demo(i), 64));

        var first = set.NextBatch(4).Concat(set.NextBatch(2)).Select(d => d.TrajectoryId).ToList();
        Assert.Equal(1, set.Epoch);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"d{i}").Order(), first.Order());
        var second = set.NextBatch(6).Select(d => d.TrajectoryId).ToList();
        Assert.Equal(2, set.Epoch);
        Assert.Equal(first.Order(), second.Order());
        Assert.NotEqual(first, second); // reshuffled (seed 7 gives a different order)

        using var again = new DemonstrationSet(Path.Combine(_dir, "other.pb"), capacity: 6, maxTokens: 64, seed: 7);
        for (var i = 0; i < 6; i++) again.TryAdd(Demo(i), TrajectoryPacker.Pack(Demo(i), 64));
        Assert.Equal(first, again.NextBatch(6).Select(d => d.TrajectoryId));
    }

    [Fact]
    public void A_reopened_set_reads_back_what_was_written_and_drops_a_record_cut_short()
    {
        var path = Path.Combine(_dir, "d.pb");
        using (var set = new DemonstrationSet(path, capacity: 4, maxTokens: 64, seed: 1))
        {
            for (var i = 0; i < 3; i++) Assert.True(set.TryAdd(Demo(i), TrajectoryPacker.Pack(Demo(i), 64)));
        }
        var whole = new FileInfo(path).Length;
        using (var f = new FileStream(path, FileMode.Append)) Demo(3).WriteDelimitedTo(f);
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(f.Length - 3); // a crash mid-write

        using var reopened = new DemonstrationSet(path, capacity: 4, maxTokens: 64, seed: 1);
        Assert.Equal(3, reopened.Loaded);
        Assert.False(reopened.IsComplete);
        Assert.Equal(whole, new FileInfo(path).Length); // truncated back to the last whole record
        Assert.True(reopened.TryAdd(Demo(9), TrajectoryPacker.Pack(Demo(9), 64)));
        Assert.True(reopened.IsComplete);
        Assert.Equal(new[] { "d0", "d1", "d2", "d9" }, reopened.NextBatch(4).Select(d => d.TrajectoryId).Order());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
