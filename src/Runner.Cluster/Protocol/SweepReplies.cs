using MessagePack;
using Runner.Sweeps;

namespace Runner.Cluster.Protocol;

/// <summary>What a SweepActor answers: to a submission, to a worker asking for work, to a report, to a question.</summary>
public static class SweepReplies
{
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
        [property: Key(11)] string[]? BaseSha256 = null,
        [property: Key(12)] int Unproposed = 0) : IRunnerMessage
    {
        /// <summary>Trials that ended: completed (stopped and diverged ones included), failed or cancelled.</summary>
        [IgnoreMember] public int Done => Completed + Failed + Cancelled;

        /// <summary>
        /// A known sweep none of whose trials still waits or runs, and whose search (if any) has nothing left to
        /// propose (<see cref="Unproposed"/>: at most that many trials to come; <see cref="Total"/> counts them).
        /// </summary>
        [IgnoreMember] public bool Ended => Known && Pending + Running + Unproposed == 0;

        /// <summary>The sweep as one word, for every door: running, cancelled, failed (nothing completed) or finished.</summary>
        [IgnoreMember]
        public string State => Pending + Running + Unproposed > 0 ? "running" : Cancelled > 0 ? "cancelled" : Failed > 0 && Completed == 0 ? "failed" : "finished";
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

    /// <summary>A sweep's counts, its running trials, and its best trial so far by the sweep's objective (<see cref="BestMetric"/>, at <see cref="BestValue"/>).</summary>
    [MessagePackObject]
    public sealed record SweepProgress(
        [property: Key(0)] SweepStatus Status,
        [property: Key(1)] RunningTrial[] Running,
        [property: Key(2)] string? BestTrial,
        [property: Key(3)] double? BestValue,
        [property: Key(4)] string? BestParameters,
        [property: Key(5)] string? BestMetric = null) : IRunnerMessage;
}
