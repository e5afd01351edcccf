using MessagePack;
using Runner.Sweeps;

namespace Runner.Cluster.Protocol;

/// <summary>What TrialWorkers say and are told, besides the sweep commands they send.</summary>
public static class WorkerMessages
{
    /// <summary>
    /// A worker is free for work (sent when it starts and after its trials). <paramref name="Want"/> is how many
    /// trials it takes at once: 1 unless its trials are so short that messages would cost more than they do.
    /// </summary>
    [MessagePackObject]
    public sealed record Idle(
        [property: Key(0)] string Worker,
        [property: Key(1)] string Device,
        [property: Key(2)] int Want = 1,
        [property: Key(3)] int Threads = 0) : IRunnerMessage;

    /// <summary>Live progress of a running trial; not persisted (the result carries every epoch).</summary>
    [MessagePackObject]
    public sealed record EpochReported(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string TrialId,
        [property: Key(2)] int Attempt,
        [property: Key(3)] string Worker,
        [property: Key(4)] EpochMetrics Metrics) : IRunnerMessage;

    /// <summary>End the trial after its current epoch, keeping its metrics (early stopping).</summary>
    [MessagePackObject]
    public sealed record StopTrial(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string TrialId) : IRunnerMessage;

    /// <summary>Stop the given trial between batches (the sweep was cancelled).</summary>
    [MessagePackObject]
    public sealed record CancelTrial(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string TrialId) : IRunnerMessage;
}
