using MessagePack;
using Runner.Sweeps;

namespace Runner.Cluster.Protocol;

/// <summary>
/// What a sweep's journal records. Replaying these events in order rebuilds <see cref="Sweeps.SweepState"/> exactly;
/// they are never changed once written (add new events or new keys instead).
/// </summary>
public static class SweepEvents
{
    /// <summary>
    /// A sweep was accepted with its expanded trials, in scheduling order, for workers on <paramref name="Device"/> (see
    /// DeviceNames.Serves); a search (<paramref name="Search"/>) adds its trials later, by <see cref="Proposed"/>.
    /// </summary>
    [MessagePackObject]
    public sealed record Submitted(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string Name,
        [property: Key(2)] TrialSpec[] Trials,
        [property: Key(3)] int MaxFailures,
        [property: Key(4)] DateTime At,
        [property: Key(5)] EarlyStopSpec? EarlyStop = null,
        [property: Key(6)] string Device = DeviceNames.Auto,
        [property: Key(7)] Runner.Sweeps.Search.SearchPlan? Search = null,
        [property: Key(8)] bool Rerun = false) : IRunnerMessage;

    /// <summary>
    /// A search proposed configuration <paramref name="Number"/> (0, 1, ...) of study <paramref name="Study"/>, as
    /// these trials (one per seed; trials the sweep already has are not added twice), or, with
    /// <paramref name="Final"/>, the study's winner on its seeds_after (none when nothing of the study succeeded).
    /// Written before any of its trials starts, so a restarted coordinator never proposes again what it proposed.
    /// </summary>
    [MessagePackObject]
    public sealed record Proposed(
        [property: Key(0)] string SweepId,
        [property: Key(1)] int Study,
        [property: Key(2)] int Number,
        [property: Key(3)] TrialSpec[] Trials,
        [property: Key(4)] bool Final = false) : IRunnerMessage;

    /// <summary>Attempt <paramref name="Attempt"/> (1, 2, ...) of a trial was handed to a worker.</summary>
    [MessagePackObject]
    public sealed record TrialStarted(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string TrialId,
        [property: Key(2)] int Attempt,
        [property: Key(3)] string Worker,
        [property: Key(4)] DateTime At) : IRunnerMessage;

    /// <summary>Several trials handed to one worker at once (it asked for several): one journal write for all.</summary>
    [MessagePackObject]
    public sealed record TrialsStarted(
        [property: Key(0)] string SweepId,
        [property: Key(1)] TrialStarted[] Starts) : IRunnerMessage;

    /// <summary>The first completion of a trial (later ones are never recorded).</summary>
    [MessagePackObject]
    public sealed record TrialCompleted(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string TrialId,
        [property: Key(2)] int Attempt,
        [property: Key(3)] string Worker,
        [property: Key(4)] TrialResult Result) : IRunnerMessage;

    /// <summary>First completions of several trials, reported together: one journal write for all.</summary>
    [MessagePackObject]
    public sealed record TrialsCompleted(
        [property: Key(0)] string SweepId,
        [property: Key(1)] TrialCompleted[] Completions) : IRunnerMessage;

    /// <summary>An attempt ended without a result: the worker was lost or the trainer threw.</summary>
    [MessagePackObject]
    public sealed record TrialAttemptFailed(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string TrialId,
        [property: Key(2)] int Attempt,
        [property: Key(3)] string Reason,
        [property: Key(4)] DateTime At) : IRunnerMessage;

    [MessagePackObject]
    public sealed record Cancelled(
        [property: Key(0)] string SweepId,
        [property: Key(1)] DateTime At) : IRunnerMessage;
}
