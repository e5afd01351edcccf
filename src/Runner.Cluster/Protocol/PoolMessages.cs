using MessagePack;
using Runner.Sweeps;

namespace Runner.Cluster.Protocol;

/// <summary>What the WorkerPool singleton is told besides workers' <see cref="WorkerMessages.Idle"/>.</summary>
public static class PoolMessages
{
    /// <summary>A sweep has trials waiting (after a submission, a re-queue or a coordinator restart), for workers on <paramref name="Device"/>.</summary>
    [MessagePackObject]
    public sealed record SweepHasWork([property: Key(0)] string SweepId, [property: Key(1)] string Device = DeviceNames.Auto) : IRunnerMessage;

    /// <summary>A worker asked a sweep for a trial and got none; the pool tries another sweep for it.</summary>
    [MessagePackObject]
    public sealed record NothingFrom(
        [property: Key(0)] string Worker,
        [property: Key(1)] string SweepId,
        [property: Key(2)] bool SweepFinished) : IRunnerMessage;

    [MessagePackObject]
    public sealed record GetWorkers : IRunnerMessage;

    [MessagePackObject]
    public sealed record WorkerInfo(
        [property: Key(0)] string Worker,
        [property: Key(1)] string Device,
        [property: Key(2)] bool Idle,
        [property: Key(3)] DateTime? LastSeen = null,
        [property: Key(4)] int Threads = 0) : IRunnerMessage;

    [MessagePackObject]
    public sealed record Workers([property: Key(0)] WorkerInfo[] All) : IRunnerMessage;
}
