using MessagePack;
using Runner.Sweeps;

namespace Runner.Cluster.Protocol;

/// <summary>What a SweepActor is asked (its answers are <see cref="SweepReplies"/>). Every one carries its sweep id (the shard key).</summary>
public static class SweepCommands
{
    public interface ISweepCommand : IRunnerMessage
    {
        string SweepId { get; }
    }

    /// <summary>
    /// Start a sweep; submitting the same sweep again is harmless and answers with its current state.
    /// <paramref name="Reused"/> are results of the same trials (same ids) already in the state folder.
    /// <paramref name="Search"/>: trials proposed as it runs; <paramref name="Rerun"/>: they never reuse stored results either.
    /// </summary>
    [MessagePackObject]
    public sealed record Submit(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string Name,
        [property: Key(2)] TrialSpec[] Trials,
        [property: Key(3)] int MaxFailures,
        [property: Key(4)] TrialResult[] Reused,
        [property: Key(5)] EarlyStopSpec? EarlyStop = null,
        [property: Key(6)] string Device = DeviceNames.Auto,
        [property: Key(7)] Runner.Sweeps.Search.SearchPlan? Search = null,
        [property: Key(8)] bool Rerun = false) : ISweepCommand;

    /// <summary>An idle worker asks for a trial of this sweep, or for up to <paramref name="Count"/> of them.</summary>
    [MessagePackObject]
    public sealed record RequestTrial(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string Worker,
        [property: Key(2)] int Count = 1) : ISweepCommand;

    [MessagePackObject]
    public sealed record ReportCompleted(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string TrialId,
        [property: Key(2)] int Attempt,
        [property: Key(3)] string Worker,
        [property: Key(4)] TrialResult Result) : ISweepCommand;

    /// <summary>
    /// Several results in one message, in the order the trials ended: a worker running short trials back to back
    /// sends them together. Not acknowledged (the worker does not wait for acknowledgements).
    /// </summary>
    [MessagePackObject]
    public sealed record ReportsCompleted(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string Worker,
        [property: Key(2)] ReportCompleted[] Reports) : ISweepCommand;

    [MessagePackObject]
    public sealed record ReportFailed(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string TrialId,
        [property: Key(2)] int Attempt,
        [property: Key(3)] string Reason) : ISweepCommand;

    /// <summary>A worker died or left: every attempt it was running fails and is re-queued.</summary>
    [MessagePackObject]
    public sealed record WorkerLost(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string Worker,
        [property: Key(2)] string Reason) : ISweepCommand;

    [MessagePackObject]
    public sealed record Cancel([property: Key(0)] string SweepId) : ISweepCommand;

    [MessagePackObject]
    public sealed record GetStatus([property: Key(0)] string SweepId) : ISweepCommand;

    /// <summary>Status plus what is live: each running trial's last epoch, and the best result so far.</summary>
    [MessagePackObject]
    public sealed record GetProgress([property: Key(0)] string SweepId) : ISweepCommand;
}
