using AgentOps.Protos.V1;
using Google.Protobuf;

namespace AgentOps.Trainer.Rollout;

/// <summary>
/// The SFT data set of ReTool's cold start: the first <see cref="Capacity"/> demonstrations that arrive, trained on
/// in shuffled epochs (a seeded shuffle per epoch). Every demonstration is appended to a file (length-delimited
/// Trajectory messages) before it counts, so a resumed run trains on the same set instead of collecting it again;
/// a record cut short by a crash is dropped on load and the file is truncated to the last whole record.
/// </summary>
public sealed class DemonstrationSet : IDisposable
{
    private readonly object _gate = new();
    private readonly List<PackedTrajectory> _items = [];
    private readonly FileStream _file;
    private readonly Random _random;
    private int[] _order = [];
    private int _next;

    public DemonstrationSet(string path, int capacity, int maxTokens, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        Path = path;
        _random = new Random(seed);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        Load(maxTokens);
    }

    public string Path { get; }

    public int Capacity { get; }

    /// <summary>Passes over the set started so far (0 before the first batch).</summary>
    public int Epoch { get; private set; }

    public int Count
    {
        get { lock (_gate) return _items.Count; }
    }

    public bool IsComplete => Count >= Capacity;

    /// <summary>Demonstrations read back from the file when the set was opened (a resumed run).</summary>
    public int Loaded { get; private set; }

    /// <summary>Keeps the demonstration when the set is not full yet (written to the file first); false when full.</summary>
    public bool TryAdd(Trajectory trajectory, PackedTrajectory packed)
    {
        lock (_gate)
        {
            if (_items.Count >= Capacity) return false;
            trajectory.WriteDelimitedTo(_file);
            _file.Flush(flushToDisk: false);
            _items.Add(packed);
            return true;
        }
    }

    /// <summary>The next <paramref name="size"/> demonstrations of the current epoch; a new shuffled epoch starts
    /// when this one runs out. Needs at least one demonstration.</summary>
    public List<PackedTrajectory> NextBatch(int size)
    {
        lock (_gate)
        {
            if (_items.Count == 0) throw new InvalidOperationException("the demonstration set is empty: nothing to train on");
            var batch = new List<PackedTrajectory>(size);
            while (batch.Count < size)
            {
                if (_next >= _order.Length || _order.Length != _items.Count)
                {
                    _order = Enumerable.Range(0, _items.Count).ToArray();
                    _random.Shuffle(_order);
                    _next = 0;
                    Epoch++;
                }
                batch.Add(_items[_order[_next++]]);
            }
            return batch;
        }
    }

    private void Load(int maxTokens)
    {
        long good = 0;
        while (_file.Position < _file.Length && _items.Count < Capacity)
        {
            try
            {
                var t = Trajectory.Parser.ParseDelimitedFrom(_file);
                _items.Add(TrajectoryPacker.Pack(t, maxTokens));
                good = _file.Position;
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidTrajectoryException or EndOfStreamException)
            {
                break; // a record cut short by a crash (or packed differently now): keep what came before it
            }
        }
        _file.SetLength(good);
        _file.Position = good;
        Loaded = _items.Count;
    }

    public void Dispose() => _file.Dispose();
}
