using MessagePack;
using Runner.Sweeps;

namespace Runner.Cluster.Protocol;

/// <summary>Rows for the results store, sent by SweepActors to the projection after their events are persisted.</summary>
public static class ProjectionMessages
{
    [MessagePackObject]
    public sealed record SweepRow(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string Name,
        [property: Key(2)] int Trials,
        [property: Key(3)] DateTime SubmittedAt) : IRunnerMessage;

    /// <summary>A trial's state: pending, running, completed, failed or cancelled.</summary>
    [MessagePackObject]
    public sealed record TrialRow(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string TrialId,
        [property: Key(2)] string Status,
        [property: Key(3)] int Attempts,
        [property: Key(4)] string? Worker,
        [property: Key(5)] TrialSpec Spec,
        [property: Key(6)] TrialResult? Result,
        [property: Key(7)] string? Failure) : IRunnerMessage;
}
