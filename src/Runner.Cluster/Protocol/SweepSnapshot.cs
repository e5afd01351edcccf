using MessagePack;
using Runner.Sweeps;

namespace Runner.Cluster.Protocol;

/// <summary>
/// A sweep's state at one journal sequence number, saved every <c>SweepActor.SnapshotEvery</c> events so that a
/// restart replays only the events after it. It holds exactly what <see cref="Sweeps.SweepState"/> rebuilds from
/// events (keys are append-only, like the events').
/// </summary>
[MessagePackObject]
public sealed record SweepSnapshot(
    [property: Key(0)] string SweepId,
    [property: Key(1)] string Name,
    [property: Key(2)] int MaxFailures,
    [property: Key(3)] DateTime SubmittedAt,
    [property: Key(4)] EarlyStopSpec? EarlyStop,
    [property: Key(5)] string Device,
    [property: Key(6)] bool Cancelled,
    [property: Key(7)] SweepSnapshot.Trial[] Trials,
    [property: Key(8)] Dictionary<string, string> LastCacheOf,
    [property: Key(9)] SweepSnapshot.Trial[]? Bases = null,
    [property: Key(10)] Runner.Sweeps.Search.SearchPlan? Search = null,
    [property: Key(11)] SweepSnapshot.Proposal[]? Proposals = null,
    [property: Key(12)] bool Rerun = false) : IRunnerMessage
{
    /// <summary>One proposal of a search, in the order they were made: its study, number and trials (by id).</summary>
    [MessagePackObject]
    public sealed record Proposal(
        [property: Key(0)] int Study,
        [property: Key(1)] int Number,
        [property: Key(2)] string[] TrialIds,
        [property: Key(3)] bool Final);

    /// <summary>
    /// One trial, in plan order, with its id: hashing 100,000 specs again would cost a restarted coordinator about half
    /// a second (runner-bench recovery).
    /// </summary>
    [MessagePackObject]
    public sealed record Trial(
        [property: Key(0)] TrialSpec Spec,
        [property: Key(1)] TrialStatus Status,
        [property: Key(2)] int Attempts,
        [property: Key(3)] string? Worker,
        [property: Key(4)] string? LastFailure,
        [property: Key(5)] TrialResult? Result,
        [property: Key(6)] string? Id = null);
}
