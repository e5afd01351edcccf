using Akka.Actor;
using Akka.TestKit;
using Runner.Cluster.Protocol;
using Runner.Cluster.Workers;
using Runner.Sweeps;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cluster.Tests;

public class TrialWorkerSpecs : Akka.TestKit.Xunit2.TestKit
{
    static readonly TrialSpec Spec = Samples.Trial(1);
    static readonly Assignment Job = new("s", Spec.Id, 1, Spec);

    /// <summary>A fake trainer: a few "batches" per epoch, checking cancellation between them like the real loop.</summary>
    static TrialExecutor Fake(int epochs, int batchMs, List<string>? threads = null, Exception? fail = null) => (job, onEpoch, cancel) =>
    {
        lock (threads ?? new List<string>()) threads?.Add(Thread.CurrentThread.Name ?? "");
        for (int e = 1; e <= epochs; e++)
        {
            for (int b = 0; b < 5; b++)
            {
                cancel.ThrowIfCancellationRequested();
                Thread.Sleep(batchMs);
            }
            if (fail != null) throw fail;
            onEpoch(new EpochMetrics(e, 0.5, 0.8, 0.4, 0.85, 0.1, 1000));
        }
        return Samples.Result(job.TrialId);
    };

    (IActorRef Worker, TestProbe Pool) StartWorker(TrialExecutor execute)
    {
        var pool = CreateTestProbe();
        var worker = Sys.ActorOf(TrialWorker.Props("w1", "cpu", pool.Ref, execute));
        Assert.Equal(new WorkerMessages.Idle("w1", "cpu"), pool.ExpectMsg<WorkerMessages.Idle>());
        return (worker, pool);
    }

    [Fact]
    public void A_trial_runs_on_its_own_thread_streams_epochs_and_reports_its_result_then_the_worker_is_idle()
    {
        var threads = new List<string>();
        var (worker, pool) = StartWorker(Fake(epochs: 2, batchMs: 5, threads));
        worker.Tell(Job, TestActor);
        Assert.Equal(1, ExpectMsg<WorkerMessages.EpochReported>().Metrics.Epoch);
        Assert.Equal(2, ExpectMsg<WorkerMessages.EpochReported>().Metrics.Epoch);
        var done = ExpectMsg<ReportCompleted>();
        Assert.Equal((Spec.Id, 1, "w1"), (done.TrialId, done.Attempt, done.Worker));
        pool.ExpectMsg<WorkerMessages.Idle>();
        Assert.Equal("trials-w1", Assert.Single(threads));
    }

    [Fact]
    public void Cancelling_stops_the_trial_between_batches()
    {
        var (worker, pool) = StartWorker(Fake(epochs: 1000, batchMs: 20));
        worker.Tell(Job, TestActor);
        ExpectMsg<WorkerMessages.EpochReported>(TimeSpan.FromSeconds(5));
        worker.Tell(new WorkerMessages.CancelTrial("s", Spec.Id));
        var report = FishForMessage(m => m is ReportFailed, TimeSpan.FromSeconds(3));
        Assert.Equal("cancelled", ((ReportFailed)report).Reason);
        pool.ExpectMsg<WorkerMessages.Idle>();
    }

    [Fact]
    public void A_trainer_that_throws_fails_the_attempt_with_the_reason_and_the_worker_stays_up()
    {
        var (worker, pool) = StartWorker(Fake(epochs: 1, batchMs: 1, fail: new InvalidOperationException("CUDA out of memory")));
        worker.Tell(Job, TestActor);
        Assert.Equal("InvalidOperationException: CUDA out of memory", ExpectMsg<ReportFailed>().Reason);
        pool.ExpectMsg<WorkerMessages.Idle>();
        worker.Tell(Job with { Attempt = 2 }, TestActor);
        Assert.Equal(2, ExpectMsg<ReportFailed>().Attempt);
    }

    [Fact]
    public void Stopping_a_trial_early_ends_it_after_its_current_epoch_with_a_result()
    {
        int epochsRun = 0;
        using var afterFirstEpoch = new ManualResetEventSlim();
        TrialExecutor execute = (job, onEpoch, cancel) =>
        {
            for (int e = 1; e <= 1000; e++)
            {
                epochsRun = e;
                if (!onEpoch(new EpochMetrics(e, 0.5, 0.8, 0.4, 0.85, 0.1, 1000))) break;
                if (e == 1) afterFirstEpoch.Wait(TimeSpan.FromSeconds(10));
            }
            return Samples.Result(job.TrialId);
        };
        var (worker, pool) = StartWorker(execute);
        worker.Tell(Job, TestActor);
        ExpectMsg<WorkerMessages.EpochReported>();
        worker.Tell(new WorkerMessages.StopTrial("s", Spec.Id));
        // The worker answers a second assignment only after it has handled the stop (its mailbox is in order).
        var other = Samples.Trial(2);
        worker.Tell(new Assignment("s", other.Id, 1, other), TestActor);
        FishForMessage(m => m is ReportFailed, TimeSpan.FromSeconds(5));
        afterFirstEpoch.Set();

        FishForMessage(m => m is ReportCompleted, TimeSpan.FromSeconds(5));
        Assert.Equal(2, epochsRun); // the epoch in flight finishes, then the trial ends
        pool.ExpectMsg<WorkerMessages.Idle>();
    }

    [Fact]
    public void A_busy_worker_sends_a_second_assignment_back_to_the_queue()
    {
        var (worker, _) = StartWorker(Fake(epochs: 1000, batchMs: 20));
        worker.Tell(Job, TestActor);
        var other = Samples.Trial(2);
        worker.Tell(new Assignment("s", other.Id, 1, other), TestActor);
        var refused = FishForMessage(m => m is ReportFailed, TimeSpan.FromSeconds(3));
        Assert.Equal((other.Id, "worker w1 was busy"), (((ReportFailed)refused).TrialId, ((ReportFailed)refused).Reason));
        worker.Tell(new WorkerMessages.CancelTrial("s", Spec.Id));
    }

    static Assignment[] Jobs(int count) => Enumerable.Range(10, count).Select(i => Samples.Trial(i)).Select(t => new Assignment("s", t.Id, 1, t)).ToArray();

    [Fact]
    public void Short_trials_are_asked_for_several_at_a_time_run_back_to_back_and_reported_together()
    {
        var (worker, pool) = StartWorker((job, onEpoch, _) =>
        {
            onEpoch(new EpochMetrics(1, 0.5, 0.8, 0.4, 0.85, 0.001, 1000));
            return Samples.Result(job.TrialId);
        });
        worker.Tell(Job, TestActor);
        ExpectMsg<WorkerMessages.EpochReported>();   // a lone trial streams its epochs, as a long one would
        ExpectMsg<ReportCompleted>();
        int want = pool.ExpectMsg<WorkerMessages.Idle>().Want;
        Assert.True(want > 1, $"a worker whose trial took microseconds should ask for more than one, asked for {want}");

        var jobs = Jobs(5);
        worker.Tell(new Assignments("s", jobs), TestActor);
        var messages = new List<object>();
        var reported = new List<string>();
        while (reported.Count < jobs.Length)
        {
            var m = ExpectMsg<object>(TimeSpan.FromSeconds(5));
            messages.Add(m);
            if (m is ReportsCompleted several) reported.AddRange(several.Reports.Select(r => r.TrialId));
            if (m is ReportCompleted one) reported.Add(one.TrialId);
        }
        Assert.Equal(jobs.Select(j => j.TrialId), reported);
        Assert.DoesNotContain(messages, m => m is WorkerMessages.EpochReported);   // results carry the epochs
        Assert.True(messages.Count < jobs.Length, $"{jobs.Length} results took {messages.Count} messages");
        pool.ExpectMsg<WorkerMessages.Idle>();
    }

    [Fact]
    public void Cancelling_a_trial_still_waiting_in_a_batch_reports_it_without_running_it()
    {
        var ran = new List<string>();
        var (worker, pool) = StartWorker((job, onEpoch, cancel) =>
        {
            lock (ran) ran.Add(job.TrialId);
            if (job.Spec.Seed == 10) cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(10));   // the first one runs until cancelled
            cancel.ThrowIfCancellationRequested();
            return Samples.Result(job.TrialId);
        });
        var jobs = Jobs(3);
        worker.Tell(new Assignments("s", jobs), TestActor);
        worker.Tell(new WorkerMessages.CancelTrial("s", jobs[2].TrialId));
        var waiting = ExpectMsg<ReportFailed>();
        Assert.Equal((jobs[2].TrialId, "cancelled"), (waiting.TrialId, waiting.Reason));
        worker.Tell(new WorkerMessages.CancelTrial("s", jobs[0].TrialId));
        var running = ExpectMsg<ReportFailed>();
        Assert.Equal((jobs[0].TrialId, "cancelled"), (running.TrialId, running.Reason));
        Assert.Equal(jobs[1].TrialId, ExpectMsg<ReportCompleted>().TrialId);
        pool.ExpectMsg<WorkerMessages.Idle>();
        lock (ran) Assert.Equal(new[] { jobs[0].TrialId, jobs[1].TrialId }, ran);
    }
}
