namespace AgentOps.Protos.V1;

// Whether a message was parsed from bytes with fields this build does not know: TrajectoryWireWriter leaves such a message to
// Google.Protobuf's own serializer, which writes them back after the known fields.

public sealed partial class Trajectory
{
    internal bool HasUnknownFields => _unknownFields is not null;
}

public sealed partial class Segment
{
    internal bool HasUnknownFields => _unknownFields is not null;
}

public sealed partial class Step
{
    internal bool HasUnknownFields => _unknownFields is not null;
}

public sealed partial class Reward
{
    internal bool HasUnknownFields => _unknownFields is not null;
}

public sealed partial class Outcome
{
    internal bool HasUnknownFields => _unknownFields is not null;
}

public sealed partial class Timings
{
    internal bool HasUnknownFields => _unknownFields is not null;
}
