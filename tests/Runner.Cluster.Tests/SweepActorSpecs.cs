using Runner.Sweeps;
using Akka.Actor;
using Akka.Configuration;
using Runner.Cluster.Protocol;
using Runner.Cluster.SweepActors;
using static Runner.Cluster.Protocol.SweepCommands;
using static Runner.Cluster.Protocol.SweepReplies;

namespace Runner.Cluster.Tests;

public class SweepActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>A new actor system's first sweep recovers and writes before it answers: slow while other test assemblies load the cores.</summary>
    static readonly TimeSpan FirstAnswer = TimeSpan.FromSeconds(15);

    // Every message and persisted event goes through the Runner serializer, as it would between nodes.
    public SweepActorSpecs() : base(ConfigurationFactory.ParseString($$"""
        akka.actor {
          serialize-messages = on
          serializers.runner = "{{typeof(RunnerSerializer).AssemblyQualifiedName}}"
          serialization-bindings {
            "{{typeof(IRunnerMessage).AssemblyQualifiedName}}" = runner
            "{{typeof(Runner.Results.SweepRecord).AssemblyQualifiedName}}" = runner
            "{{typeof(Runner.Results.TrialRecord).AssemblyQualifiedName}}" = runner
          }
        }
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """)) { }

    static readonly Runner.Sweeps.TrialSpec[] Trials = { Samples.Trial(1), Samples.Trial(2), Samples.Trial(3) };

    IActorRef Start(string id) => Sys.ActorOf(SweepActor.Props(id));

    [Fact]
    public void A_submitted_sweep_hands_out_trials_and_records_only_the_first_completion()
    {
        var sweep = Start("a");
        sweep.Tell(new Submit("a", "demo", Trials, 2, Array.Empty<Runner.Sweeps.TrialResult>()));
        Assert.Equal(new Accepted("a", 3, false), ExpectMsg<Accepted>(FirstAnswer));
        sweep.Tell(new Submit("a", "demo", Trials, 2, Array.Empty<Runner.Sweeps.TrialResult>()));
        Assert.True(ExpectMsg<Accepted>(FirstAnswer).AlreadyKnown);

        sweep.Tell(new RequestTrial("a", "w1"));
        var job = ExpectMsg<Assignment>();
        Assert.Equal((Trials[0].Id, 1), (job.TrialId, job.Attempt));
        Assert.Equal(Trials[0].Canonical(), job.Spec.Canonical());

        sweep.Tell(new ReportCompleted("a", job.TrialId, 1, "w1", Samples.Result(job.TrialId)));
        Assert.True(ExpectMsg<ReportAck>().Recorded);
        sweep.Tell(new ReportCompleted("a", job.TrialId, 1, "w1", Samples.Result(job.TrialId)));
        Assert.False(ExpectMsg<ReportAck>().Recorded);

        sweep.Tell(new GetStatus("a"));
        var status = ExpectMsg<SweepStatus>();
        Assert.Equal((3, 2, 0, 1), (status.Total, status.Pending, status.Running, status.Completed));
    }

    [Fact]
    public void After_a_restart_completed_trials_are_kept_and_the_unfinished_one_runs_again_as_its_next_attempt()
    {
        var sweep = Start("b");
        sweep.Tell(new Submit("b", "demo", Trials, 3, Array.Empty<Runner.Sweeps.TrialResult>()));
        ExpectMsg<Accepted>(FirstAnswer);
        sweep.Tell(new RequestTrial("b", "w1"));
        var first = ExpectMsg<Assignment>();
        sweep.Tell(new RequestTrial("b", "w2"));
        var second = ExpectMsg<Assignment>();
        sweep.Tell(new ReportCompleted("b", first.TrialId, 1, "w1", Samples.Result(first.TrialId, 0.93)));
        ExpectMsg<ReportAck>();

        Watch(sweep);
        Sys.Stop(sweep);
        ExpectTerminated(sweep);

        var again = Start("b");
        again.Tell(new GetStatus("b"));
        var status = ExpectMsg<SweepStatus>();
        Assert.Equal((1, 0, 2), (status.Completed, status.Running, status.Pending));
        again.Tell(new RequestTrial("b", "w3"));
        var retry = ExpectMsg<Assignment>();
        Assert.Equal((second.TrialId, 2), (retry.TrialId, retry.Attempt));
        // The lost attempt's worker reports late: it is still the first completion of that trial, so it counts.
        again.Tell(new ReportCompleted("b", second.TrialId, 1, "w2", Samples.Result(second.TrialId)));
        Assert.True(ExpectMsg<ReportAck>().Recorded);
        again.Tell(new ReportCompleted("b", second.TrialId, 2, "w3", Samples.Result(second.TrialId)));
        Assert.False(ExpectMsg<ReportAck>().Recorded);
    }

    [Fact]
    public void A_lost_worker_puts_its_trial_back_in_the_queue_until_max_failures()
    {
        var sweep = Start("c");
        sweep.Tell(new Submit("c", "demo", Trials.Take(1).ToArray(), 2, Array.Empty<Runner.Sweeps.TrialResult>()));
        ExpectMsg<Accepted>(FirstAnswer);
        sweep.Tell(new RequestTrial("c", "w1"));
        ExpectMsg<Assignment>();
        sweep.Tell(new WorkerLost("c", "w1", "node removed"));
        sweep.Tell(new RequestTrial("c", "w2"));
        Assert.Equal(2, ExpectMsg<Assignment>().Attempt);
        sweep.Tell(new WorkerLost("c", "w2", "node removed"));
        sweep.Tell(new RequestTrial("c", "w3"));
        Assert.True(ExpectMsg<NoTrial>().Finished);
        sweep.Tell(new GetStatus("c"));
        Assert.Equal(1, ExpectMsg<SweepStatus>().Failed);
    }

    [Fact]
    public void Results_of_the_same_trials_from_the_state_folder_are_reused_and_the_pool_hears_of_the_rest()
    {
        var pool = CreateTestProbe();
        var projection = CreateTestProbe();
        var sweep = Sys.ActorOf(SweepActor.Props("e", pool.Ref, projection.Ref));
        sweep.Tell(new Submit("e", "demo", Trials, 2, new[] { Samples.Result(Trials[1].Id, 0.77), Samples.Result("not-in-this-sweep") }));
        ExpectMsg<Accepted>(FirstAnswer);
        Assert.Equal("e", pool.ExpectMsg<PoolMessages.SweepHasWork>().SweepId);
        sweep.Tell(new GetStatus("e"));
        Assert.Equal((1, 2), (ExpectMsg<SweepStatus>().Completed, 2));
        sweep.Tell(new RequestTrial("e", "w1"));
        Assert.Equal(Trials[0].Id, ExpectMsg<Assignment>().TrialId);
        sweep.Tell(new RequestTrial("e", "w1"));
        Assert.Equal(Trials[2].Id, ExpectMsg<Assignment>().TrialId);
        // The projection received the sweep row and a row per trial, the reused one completed.
        var rows = projection.ReceiveWhile(TimeSpan.FromMilliseconds(500), m => m).OfType<Runner.Results.TrialRecord>().ToList();
        Assert.Contains(rows, r => r.TrialId == Trials[1].Id && r.Status == TrialStatus.Completed && r.Result!.TestAccuracy == 0.77);
    }

    [Fact]
    public void With_asha_a_trial_below_the_rung_cutoff_is_told_to_stop_after_its_epoch() =>
        AshaStopsTheSecond("asha", Trials, new Runner.Sweeps.EpochMetrics(1, 0.3, 0.9, 0.3, 0.90, 1, 100), new Runner.Sweeps.EpochMetrics(1, 0.9, 0.5, 0.9, 0.50, 1, 100));

    /// <summary>The trial with the higher accuracy has the higher loss: by the objective (val_loss, minimize) it is the worse one.</summary>
    [Fact]
    public void With_asha_trials_are_ranked_by_the_sweeps_objective_here_the_lowest_validation_loss() =>
        AshaStopsTheSecond("asha-loss", Trials.Select(t => t with { Metric = "val_loss", Minimize = true }).ToArray(),
            new Runner.Sweeps.EpochMetrics(1, 0.3, 0.6, 0.40, 0.60, 1, 100), new Runner.Sweeps.EpochMetrics(1, 0.9, 0.9, 0.95, 0.90, 1, 100));

    /// <summary>Two trials report their first epoch (a rung): the second, worse by the trials' objective, is told to stop; the first is not.</summary>
    void AshaStopsTheSecond(string id, Runner.Sweeps.TrialSpec[] trials, Runner.Sweeps.EpochMetrics better, Runner.Sweeps.EpochMetrics worse)
    {
        var sweep = Start(id);
        sweep.Tell(new Submit(id, "demo", trials, 2, Array.Empty<Runner.Sweeps.TrialResult>(), new Runner.Sweeps.EarlyStopSpec("asha", 1, 3, 5)));
        ExpectMsg<Accepted>(FirstAnswer);
        var good = CreateTestProbe();
        var bad = CreateTestProbe();
        sweep.Tell(new RequestTrial(id, "w-good"), good.Ref);
        var a = good.ExpectMsg<Assignment>();
        sweep.Tell(new RequestTrial(id, "w-bad"), bad.Ref);
        var b = bad.ExpectMsg<Assignment>();
        sweep.Tell(new WorkerMessages.EpochReported(id, a.TrialId, 1, "w-good", better));
        sweep.Tell(new WorkerMessages.EpochReported(id, b.TrialId, 1, "w-bad", worse));
        Assert.Equal(new WorkerMessages.StopTrial(id, b.TrialId), bad.ExpectMsg<WorkerMessages.StopTrial>());
        good.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    /// <summary>A search of three learning rates from a weight-file trial (no base to build), two in flight at once.</summary>
    static Runner.Sweeps.Search.SearchPlan Search(int budget = 3) => new("tpe",
        new[] { new Runner.Sweeps.Search.SearchAxis("learning_rate", "log_uniform", 1e-4, 1e-1) }, budget, 2, 0,
        new[] { new Runner.Sweeps.Search.SearchStudy(Array.Empty<Runner.Sweeps.Search.CellValue>(), new[] { 1 }, Array.Empty<int>()) }, Samples.Trial(1));

    [Fact]
    public void A_search_proposes_when_asked_keeps_its_parallelism_and_asha_stops_its_trials_like_any_other()
    {
        var sweep = Start("search");
        sweep.Tell(new Submit("search", "demo", Array.Empty<Runner.Sweeps.TrialSpec>(), 2, Array.Empty<Runner.Sweeps.TrialResult>(),
            new Runner.Sweeps.EarlyStopSpec("asha", 1, 3, 5), Search: Search()));
        Assert.Equal(new Accepted("search", 3, false), ExpectMsg<Accepted>(FirstAnswer));
        var good = CreateTestProbe();
        var bad = CreateTestProbe();
        sweep.Tell(new RequestTrial("search", "w-good"), good.Ref);
        var a = good.ExpectMsg<Assignment>();
        sweep.Tell(new RequestTrial("search", "w-bad"), bad.Ref);
        var b = bad.ExpectMsg<Assignment>();
        Assert.NotEqual(a.Spec.LearningRate, b.Spec.LearningRate);
        // Two in flight: a third worker waits.
        sweep.Tell(new RequestTrial("search", "w3"));
        Assert.False(ExpectMsg<NoTrial>().Finished);

        sweep.Tell(new WorkerMessages.EpochReported("search", a.TrialId, 1, "w-good", new Runner.Sweeps.EpochMetrics(1, 0.3, 0.9, 0.3, 0.90, 1, 100)));
        sweep.Tell(new WorkerMessages.EpochReported("search", b.TrialId, 1, "w-bad", new Runner.Sweeps.EpochMetrics(1, 0.9, 0.5, 0.9, 0.50, 1, 100)));
        Assert.Equal(new WorkerMessages.StopTrial("search", b.TrialId), bad.ExpectMsg<WorkerMessages.StopTrial>());
        sweep.Tell(new ReportCompleted("search", b.TrialId, 1, "w-bad", Samples.Result(b.TrialId) with { Status = TrialStatus.Stopped }), bad.Ref);
        Assert.True(bad.ExpectMsg<ReportAck>().Recorded);

        // A slot is free: the third and last proposal.
        sweep.Tell(new RequestTrial("search", "w3"));
        var c = ExpectMsg<Assignment>();
        sweep.Tell(new GetStatus("search"));
        var status = ExpectMsg<SweepStatus>();
        Assert.Equal((3, 0, 2, 1, "running"), (status.Total, status.Unproposed, status.Running, status.Completed, status.State));
        sweep.Tell(new ReportCompleted("search", a.TrialId, 1, "w-good", Samples.Result(a.TrialId)));
        ExpectMsg<ReportAck>();
        sweep.Tell(new ReportCompleted("search", c.TrialId, 1, "w3", Samples.Result(c.TrialId)));
        ExpectMsg<ReportAck>();
        sweep.Tell(new RequestTrial("search", "w3"));
        Assert.True(ExpectMsg<NoTrial>().Finished);
    }

    [Fact]
    public void A_proposal_the_results_store_already_finished_is_recorded_as_reused_and_not_run()
    {
        var projection = CreateTestProbe();
        var asked = new List<string>();
        var sweep = Sys.ActorOf(SweepActor.Props("reuse", null, projection.Ref,
            stored: ids => { var list = ids.ToList(); asked.AddRange(list); return list.Select(id => Samples.Result(id, 0.5)).ToList(); }));
        sweep.Tell(new Submit("reuse", "demo", Array.Empty<Runner.Sweeps.TrialSpec>(), 2, Array.Empty<Runner.Sweeps.TrialResult>(), Search: Search()));
        ExpectMsg<Accepted>(FirstAnswer);
        sweep.Tell(new RequestTrial("reuse", "w1"));
        Assert.True(ExpectMsg<NoTrial>().Finished);
        Assert.Equal(3, asked.Distinct().Count());
        // Shown once written (the journal writes behind the decisions).
        AwaitAssert(() =>
        {
            sweep.Tell(new GetStatus("reuse"));
            Assert.Equal((3, 3, "finished"), ExpectMsg<SweepStatus>() is var st ? (st.Total, st.Completed, st.State) : default);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_trial_its_worker_reports_stopped_is_recorded_and_shown_as_stopped()
    {
        var projection = CreateTestProbe();
        var sweep = Sys.ActorOf(SweepActor.Props("stop", null, projection.Ref));
        sweep.Tell(new Submit("stop", "demo", Trials, 2, Array.Empty<Runner.Sweeps.TrialResult>(), new Runner.Sweeps.EarlyStopSpec("asha", 1, 3, 5)));
        ExpectMsg<Accepted>(FirstAnswer);
        sweep.Tell(new RequestTrial("stop", "w1"));
        var job = ExpectMsg<Assignment>();
        // The worker ended the trial after epoch 1 because the sweep said so: its result says stopped.
        var stopped = Samples.Result(job.TrialId) with { Status = TrialStatus.Stopped };
        sweep.Tell(new ReportCompleted("stop", job.TrialId, job.Attempt, "w1", stopped));
        Assert.True(ExpectMsg<ReportAck>().Recorded);
        var row = projection.FishForMessage<Runner.Results.TrialRecord>(r => r.TrialId == job.TrialId && r.Result != null);
        Assert.Equal(TrialStatus.Stopped, row.Status);
        sweep.Tell(new GetStatus("stop"));
        Assert.Equal(1, ExpectMsg<SweepStatus>().Completed);
    }

    [Fact]
    public void A_restarted_sweep_recovers_from_its_latest_snapshot_and_the_events_after_it()
    {
        var sweep = Sys.ActorOf(SweepActor.Props("snap", snapshotEvery: 3));
        sweep.Tell(new Submit("snap", "demo", Trials, 2, Array.Empty<Runner.Sweeps.TrialResult>()));
        ExpectMsg<Accepted>(FirstAnswer);
        // Submitted, started, completed, started: a snapshot after the third event, one event after it.
        sweep.Tell(new RequestTrial("snap", "w1"));
        var first = ExpectMsg<Assignment>();
        sweep.Tell(new ReportCompleted("snap", first.TrialId, first.Attempt, "w1", Samples.Result(first.TrialId, 0.61)));
        ExpectMsg<ReportAck>();
        sweep.Tell(new RequestTrial("snap", "w1"));
        var second = ExpectMsg<Assignment>();
        Watch(sweep);
        Sys.Stop(sweep);
        ExpectTerminated(sweep);

        var store = Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);
        store.Tell(new Akka.Persistence.LoadSnapshot("sweep-snap", Akka.Persistence.SnapshotSelectionCriteria.Latest, long.MaxValue));
        var saved = ExpectMsg<Akka.Persistence.LoadSnapshotResult>().Snapshot;
        Assert.NotNull(saved);
        Assert.Equal(3, saved.Metadata.SequenceNr);

        var again = Sys.ActorOf(SweepActor.Props("snap", snapshotEvery: 3));
        again.Tell(new GetStatus("snap"));
        var status = ExpectMsg<SweepStatus>();
        // The completion (in the snapshot) is kept; the trial started after it (an event after the snapshot) is re-queued.
        Assert.Equal((3, 1, 2, 0), (status.Total, status.Completed, status.Pending, status.Running));
        again.Tell(new RequestTrial("snap", "w2"));
        var next = ExpectMsg<Assignment>();
        Assert.Equal((second.TrialId, 2), (next.TrialId, next.Attempt));
    }

    [Fact]
    public void Cancelling_keeps_results_and_stops_new_work()
    {
        var sweep = Start("d");
        sweep.Tell(new Submit("d", "demo", Trials, 2, Array.Empty<Runner.Sweeps.TrialResult>()));
        ExpectMsg<Accepted>(FirstAnswer);
        var worker = CreateTestProbe();
        sweep.Tell(new RequestTrial("d", "w1"), worker.Ref);
        var running = worker.ExpectMsg<Assignment>();
        sweep.Tell(new Cancel("d"));
        var status = ExpectMsg<SweepStatus>();
        Assert.Equal(3, status.Cancelled);
        // The worker running a trial of the cancelled sweep is told to stop it.
        Assert.Equal(new WorkerMessages.CancelTrial("d", running.TrialId), worker.ExpectMsg<WorkerMessages.CancelTrial>());
        sweep.Tell(new RequestTrial("d", "w1"));
        Assert.True(ExpectMsg<NoTrial>().Finished);
    }

    [Fact]
    public void A_worker_asking_for_several_gets_them_in_one_message_and_their_results_in_one_report_survive_a_restart()
    {
        var sweep = Start("f");
        sweep.Tell(new Submit("f", "demo", Trials, 2, Array.Empty<Runner.Sweeps.TrialResult>()));
        ExpectMsg<Accepted>(FirstAnswer);
        sweep.Tell(new RequestTrial("f", "w1", Count: 5));
        var batch = ExpectMsg<Assignments>();
        Assert.Equal(Trials.Select(t => (t.Id, 1)), batch.Jobs.Select(j => (j.TrialId, j.Attempt)));
        sweep.Tell(new GetStatus("f"));
        Assert.Equal(3, ExpectMsg<SweepStatus>().Running);

        // Two results (one sent twice); the third trial's worker is lost.
        var reports = batch.Jobs.Take(2).Select(j => new ReportCompleted("f", j.TrialId, 1, "w1", Samples.Result(j.TrialId))).ToArray();
        sweep.Tell(new ReportsCompleted("f", "w1", reports.Append(reports[0]).ToArray()));
        sweep.Tell(new WorkerLost("f", "w1", "node removed"));
        sweep.Tell(new GetStatus("f"));
        var status = ExpectMsg<SweepStatus>();   // no acknowledgement comes before it
        Assert.Equal((2, 0, 1), (status.Completed, status.Running, status.Pending));

        Watch(sweep);
        Sys.Stop(sweep);
        ExpectTerminated(sweep);
        var again = Start("f");
        again.Tell(new GetStatus("f"));
        var replayed = ExpectMsg<SweepStatus>();
        Assert.Equal((2, 1), (replayed.Completed, replayed.Pending));
        // A request from a worker that predates batches (no count: 0 on the wire) gets one trial, as it always did.
        again.Tell(new RequestTrial("f", "w2", Count: 0));
        var retry = ExpectMsg<Assignment>();
        Assert.Equal((Trials[2].Id, 2), (retry.TrialId, retry.Attempt));
    }

    [Fact]
    public void With_asha_results_reported_together_count_at_their_rungs()
    {
        var sweep = Start("asha-batch");
        sweep.Tell(new Submit("asha-batch", "demo", Trials, 2, Array.Empty<Runner.Sweeps.TrialResult>(), new Runner.Sweeps.EarlyStopSpec("asha", 1, 3, 5)));
        ExpectMsg<Accepted>(FirstAnswer);
        var batchWorker = CreateTestProbe();
        sweep.Tell(new RequestTrial("asha-batch", "w-batch", 2), batchWorker.Ref);
        var jobs = batchWorker.ExpectMsg<Assignments>().Jobs;
        // Short trials run back to back stream no epochs: their rung values arrive with their results.
        var good = Samples.Result(jobs[0].TrialId) with { Epochs = new[] { new Runner.Sweeps.EpochMetrics(1, 0.3, 0.9, 0.3, 0.90, 1, 100) } };
        var better = Samples.Result(jobs[1].TrialId) with { Epochs = new[] { new Runner.Sweeps.EpochMetrics(1, 0.3, 0.9, 0.3, 0.92, 1, 100) } };
        sweep.Tell(new ReportsCompleted("asha-batch", "w-batch", new[]
        {
            new ReportCompleted("asha-batch", jobs[0].TrialId, 1, "w-batch", good),
            new ReportCompleted("asha-batch", jobs[1].TrialId, 1, "w-batch", better),
        }));
        var worker = CreateTestProbe();
        sweep.Tell(new RequestTrial("asha-batch", "w1"), worker.Ref);
        var c = worker.ExpectMsg<Assignment>();
        sweep.Tell(new WorkerMessages.EpochReported("asha-batch", c.TrialId, 1, "w1", new Runner.Sweeps.EpochMetrics(1, 0.9, 0.5, 0.9, 0.50, 1, 100)));
        Assert.Equal(new WorkerMessages.StopTrial("asha-batch", c.TrialId), worker.ExpectMsg<WorkerMessages.StopTrial>());
    }
}
