using MessagePack;
using Runner.Sweeps;

namespace Runner.Cluster.Protocol;

/// <summary>What a SweepActor is asked, and what it answers. Every one carries its sweep id (the shard key).</summary>
public static class SweepCommands
{
    public interface ISweepCommand : IRunnerMessage
    {
        string SweepId { get; }
    }

    /// <summary>
    /// Start a sweep; submitting the same sweep again is harmless and answers with its current state.
    /// <paramref name="Reused"/> are results of the same trials (same ids) already in the state folder.
    /// </summary>
    [MessagePackObject]
    public sealed record Submit(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string Name,
        [property: Key(2)] TrialSpec[] Trials,
        [property: Key(3)] int MaxFailures,
        [property: Key(4)] TrialResult[] Reused,
        [property: Key(5)] EarlyStopSpec? EarlyStop = null,
        [property: Key(6)] string Device = DeviceNames.Auto) : ISweepCommand;

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

    // ----- answers -----

    [MessagePackObject]
    public sealed record Accepted(
        [property: Key(0)] string SweepId,
        [property: Key(1)] int Trials,
        [property: Key(2)] bool AlreadyKnown) : IRunnerMessage;

    /// <summary>
    /// Run this attempt of this trial; or, with <paramref name="Pretrain"/>, build the pretrained base of
    /// <paramref name="Spec"/> (a trial that needs it) once for the cluster. <paramref name="BaseSha256"/> is the base
    /// a trial starts from, <paramref name="ArtifactsUrl"/> the coordinator's artifact store (null: its state folder
    /// is this process's).
    /// </summary>
    [MessagePackObject]
    public sealed record Assignment(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string TrialId,
        [property: Key(2)] int Attempt,
        [property: Key(3)] TrialSpec Spec,
        [property: Key(4)] bool Pretrain = false,
        [property: Key(5)] string? BaseSha256 = null,
        [property: Key(6)] string? ArtifactsUrl = null) : IRunnerMessage;

    /// <summary>Run these trials one after another (the answer to a <see cref="RequestTrial"/> for several).</summary>
    [MessagePackObject]
    public sealed record Assignments(
        [property: Key(0)] string SweepId,
        [property: Key(1)] Assignment[] Jobs) : IRunnerMessage;

    /// <summary>Nothing to run now (all running or done, or cancelled).</summary>
    [MessagePackObject]
    public sealed record NoTrial(
        [property: Key(0)] string SweepId,
        [property: Key(1)] bool Finished) : IRunnerMessage;

    /// <summary>Acknowledges a report; <paramref name="Recorded"/> is false for late or duplicate ones.</summary>
    [MessagePackObject]
    public sealed record ReportAck(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string TrialId,
        [property: Key(2)] bool Recorded) : IRunnerMessage;

    [MessagePackObject]
    public sealed record SweepStatus(
        [property: Key(0)] string SweepId,
        [property: Key(1)] string Name,
        [property: Key(2)] int Total,
        [property: Key(3)] int Pending,
        [property: Key(4)] int Running,
        [property: Key(5)] int Completed,
        [property: Key(6)] int Failed,
        [property: Key(7)] int Cancelled,
        [property: Key(8)] bool Known,
        [property: Key(9)] int Bases = 0,
        [property: Key(10)] int BasesBuilt = 0,
        [property: Key(11)] string[]? BaseSha256 = null) : IRunnerMessage
    {
        /// <summary>Trials that ended: completed (stopped and diverged ones included), failed or cancelled.</summary>
        [IgnoreMember] public int Done => Completed + Failed + Cancelled;

        /// <summary>A known sweep none of whose trials still waits or runs.</summary>
        [IgnoreMember] public bool Ended => Known && Pending + Running == 0;

        /// <summary>The sweep as one word, for every door: running, cancelled, failed (nothing completed) or finished.</summary>
        [IgnoreMember]
        public string State => Pending + Running > 0 ? "running" : Cancelled > 0 ? "cancelled" : Failed > 0 && Completed == 0 ? "failed" : "finished";
    }

    /// <summary>A running trial as its worker last reported it (epoch 0 until the first epoch ends), and when.</summary>
    [MessagePackObject]
    public sealed record RunningTrial(
        [property: Key(0)] string TrialId,
        [property: Key(1)] string Worker,
        [property: Key(2)] int Attempt,
        [property: Key(3)] int Epoch,
        [property: Key(4)] int Epochs,
        [property: Key(5)] double? ValAccuracy,
        [property: Key(6)] double? ImagesPerSecond,
        [property: Key(7)] string Parameters,
        [property: Key(8)] DateTime? LastReport = null) : IRunnerMessage;

    [MessagePackObject]
    public sealed record SweepProgress(
        [property: Key(0)] SweepStatus Status,
        [property: Key(1)] RunningTrial[] Running,
        [property: Key(2)] string? BestTrial,
        [property: Key(3)] double? BestValAccuracy,
        [property: Key(4)] string? BestParameters) : IRunnerMessage;
}
