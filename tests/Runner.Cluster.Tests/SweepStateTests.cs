using Runner.Sweeps;
using Runner.Cluster.Protocol;
using Runner.Cluster.SweepActors;

namespace Runner.Cluster.Tests;

public class SweepStateTests
{
    static readonly DateTime Now = new(2026, 11, 26, 6, 0, 0, DateTimeKind.Utc);

    /// <summary>A state plus the journal of everything applied to it, to check that replay gives the same state.</summary>
    sealed class Journaled
    {
        public SweepState State { get; } = new();
        public List<IRunnerMessage> Journal { get; } = new();

        public T? Record<T>(T? e) where T : class, IRunnerMessage
        {
            if (e == null) return null;
            Journal.Add(e);
            State.Apply(e);
            return e;
        }
    }

    static Journaled Submitted(int trials, int maxFailures = 2)
    {
        var j = new Journaled();
        j.Record(new SweepEvents.Submitted("s", "demo", Enumerable.Range(1, trials).Select(i => Samples.Trial(i)).ToArray(), maxFailures, Now));
        return j;
    }

    [Fact]
    public void Trials_are_handed_out_in_plan_order_one_attempt_at_a_time()
    {
        var j = Submitted(3);
        var a = j.Record(j.State.StartNext("w1", Now))!;
        var b = j.Record(j.State.StartNext("w2", Now))!;
        Assert.Equal(Samples.Trial(1).Id, a.TrialId);
        Assert.Equal(Samples.Trial(2).Id, b.TrialId);
        Assert.Equal((1, 1), (a.Attempt, b.Attempt));
        Assert.Equal(2, j.State.Count(TrialStatus.Running));
        j.Record(j.State.StartNext("w3", Now));
        Assert.Null(j.State.StartNext("w4", Now));
    }

    [Fact]
    public void A_failed_attempt_goes_back_to_the_queue_with_the_next_number_until_max_failures()
    {
        var j = Submitted(1, maxFailures: 2);
        var first = j.Record(j.State.StartNext("w1", Now))!;
        j.Record(j.State.Fail(first.TrialId, 1, "worker lost", Now));
        Assert.Equal(TrialStatus.Pending, j.State.Find(first.TrialId)!.Status);
        var second = j.Record(j.State.StartNext("w2", Now))!;
        Assert.Equal(2, second.Attempt);
        j.Record(j.State.Fail(first.TrialId, 2, "CUDA out of memory", Now));
        var trial = j.State.Find(first.TrialId)!;
        Assert.Equal(TrialStatus.Failed, trial.Status);
        Assert.Equal("CUDA out of memory", trial.LastFailure);
        Assert.True(j.State.IsFinished);
        Assert.Null(j.State.StartNext("w3", Now));
    }

    [Fact]
    public void The_first_completion_is_recorded_and_late_or_duplicate_ones_are_ignored()
    {
        var j = Submitted(1);
        var started = j.Record(j.State.StartNext("w1", Now))!;
        // w1 is presumed lost; the trial restarts on w2 ...
        j.Record(j.State.WorkerLost("w1", "heartbeat missed", Now).Single());
        j.Record(j.State.StartNext("w2", Now));
        // ... but w1 comes back and finishes first: that result counts.
        var first = j.Record(j.State.Complete(started.TrialId, 1, "w1", Samples.Result(started.TrialId, 0.91)));
        Assert.NotNull(first);
        Assert.Null(j.State.Complete(started.TrialId, 2, "w2", Samples.Result(started.TrialId, 0.92)));
        Assert.Null(j.State.Complete(started.TrialId, 1, "w1", Samples.Result(started.TrialId, 0.91)));
        Assert.Null(j.State.Fail(started.TrialId, 2, "late failure", Now));
        Assert.Equal(0.91, j.State.Find(started.TrialId)!.Result!.TestAccuracy);
        Assert.Single(j.Journal.OfType<SweepEvents.TrialCompleted>());
    }

    [Fact]
    public void Stale_failure_reports_of_an_older_attempt_change_nothing()
    {
        var j = Submitted(1);
        var a1 = j.Record(j.State.StartNext("w1", Now))!;
        j.Record(j.State.Fail(a1.TrialId, 1, "crash", Now));
        j.Record(j.State.StartNext("w2", Now));
        Assert.Null(j.State.Fail(a1.TrialId, 1, "the same crash, reported twice", Now));
        Assert.Equal(TrialStatus.Running, j.State.Find(a1.TrialId)!.Status);
    }

    [Fact]
    public void Replaying_the_journal_rebuilds_the_same_state_and_requeues_unfinished_trials()
    {
        var j = Submitted(4);
        var a = j.Record(j.State.StartNext("w1", Now))!;
        var b = j.Record(j.State.StartNext("w2", Now))!;
        j.Record(j.State.Complete(a.TrialId, 1, "w1", Samples.Result(a.TrialId)));
        var c = j.Record(j.State.StartNext("w1", Now))!;
        j.Record(j.State.Fail(c.TrialId, 1, "crash", Now));

        var replayed = new SweepState();
        foreach (var e in j.Journal) replayed.Apply(e);
        Assert.Equal(j.State.Trials.Select(t => (t.Id, t.Status, t.Attempts, t.LastFailure, t.Result?.TestAccuracy)),
                     replayed.Trials.Select(t => (t.Id, t.Status, t.Attempts, t.LastFailure, t.Result?.TestAccuracy)));

        // The coordinator died: b was running on a worker nobody knows any more.
        replayed.RequeueUnfinished();
        Assert.Equal(TrialStatus.Pending, replayed.Find(b.TrialId)!.Status);
        Assert.Equal(TrialStatus.Completed, replayed.Find(a.TrialId)!.Status);
        var restarted = replayed.StartNext("w9", Now)!;
        Assert.Equal((b.TrialId, 2), (restarted.TrialId, restarted.Attempt));
    }

    [Fact]
    public void Cancelling_stops_handing_out_trials_and_keeps_finished_results()
    {
        var j = Submitted(3);
        var a = j.Record(j.State.StartNext("w1", Now))!;
        j.Record(j.State.Complete(a.TrialId, 1, "w1", Samples.Result(a.TrialId)));
        j.Record(j.State.StartNext("w1", Now));
        j.Record(new SweepEvents.Cancelled("s", Now));
        Assert.Null(j.State.StartNext("w1", Now));
        Assert.Equal(1, j.State.Count(TrialStatus.Completed));
        Assert.Equal(2, j.State.Count(TrialStatus.Cancelled));
        Assert.True(j.State.IsFinished);
    }

    [Fact]
    public void A_worker_gets_trials_that_share_the_feature_cache_it_already_holds()
    {
        var j = new Journaled();
        var trials = new[] { Samples.Trial(1, depth: 2), Samples.Trial(1, depth: 4), Samples.Trial(2, depth: 2), Samples.Trial(2, depth: 4) };
        j.Record(new SweepEvents.Submitted("s", "demo", trials, 2, Now));
        Assert.Equal(trials[0].Id, j.Record(j.State.StartNext("w1", Now))!.TrialId); // depth 2
        Assert.Equal(trials[1].Id, j.Record(j.State.StartNext("w2", Now))!.TrialId); // depth 4
        // Plan order would give trials[2] to whoever asks first; w2 holds the depth-4 features, so it gets trials[3].
        Assert.Equal(trials[3].Id, j.Record(j.State.StartNext("w2", Now))!.TrialId);
        Assert.Equal(trials[2].Id, j.Record(j.State.StartNext("w1", Now))!.TrialId);
    }

    [Fact]
    public void A_trial_listed_twice_in_a_submission_is_one_trial()
    {
        var j = new Journaled();
        j.Record(new SweepEvents.Submitted("s", "demo", new[] { Samples.Trial(1), Samples.Trial(1), Samples.Trial(2) }, 2, Now));
        Assert.Equal(2, j.State.Trials.Count);
    }

    [Fact]
    public void Several_trials_for_one_worker_are_the_ones_single_requests_would_give_and_replay_as_one_event()
    {
        var one = Submitted(6);
        var singly = Enumerable.Range(0, 4).Select(_ => one.Record(one.State.StartNext("w1", Now))!.TrialId).ToList();

        var batch = Submitted(6);
        var starts = batch.State.StartNext("w1", 4, Now);
        Assert.Equal(singly, starts.Select(s => s.TrialId));
        Assert.All(starts, s => Assert.Equal(1, s.Attempt));
        batch.Record(new SweepEvents.TrialsStarted("s", starts.ToArray()));
        Assert.Equal(4, batch.State.Count(TrialStatus.Running));
        // Only two are left: a request for four gets two, then none.
        Assert.Equal(2, batch.State.StartNext("w2", 4, Now).Count);

        var results = starts.Take(3).Select(s => new SweepEvents.TrialCompleted("s", s.TrialId, 1, "w1", Samples.Result(s.TrialId))).ToArray();
        batch.Record(new SweepEvents.TrialsCompleted("s", results));
        batch.Record(batch.State.Fail(starts[3].TrialId, 1, "worker lost", Now));
        Assert.Equal(3, batch.State.Count(TrialStatus.Completed));
        // The failed one goes back to the queue ahead of the trials never started (plan order).
        var again = batch.State.StartNext("w2", Now)!;
        Assert.Equal((starts[3].TrialId, 2), (again.TrialId, again.Attempt));

        var replayed = new SweepState();
        foreach (var e in batch.Journal) replayed.Apply(e);
        Assert.Equal(batch.State.Trials.Select(t => (t.Id, t.Status, t.Attempts, t.Worker)), replayed.Trials.Select(t => (t.Id, t.Status, t.Attempts, t.Worker)));
    }

    [Fact]
    public void A_batch_keeps_to_the_feature_cache_its_worker_holds()
    {
        var j = new Journaled();
        var trials = new[] { Samples.Trial(1, depth: 2), Samples.Trial(1, depth: 4), Samples.Trial(2, depth: 2), Samples.Trial(2, depth: 4), Samples.Trial(3, depth: 4) };
        j.Record(new SweepEvents.Submitted("s", "demo", trials, 2, Now));
        j.Record(j.State.StartNext("w2", 1, Now)[0]);   // trials[0], depth 2: w2 now holds depth 2
        j.Record(j.State.Complete(trials[0].Id, 1, "w2", Samples.Result(trials[0].Id)));
        Assert.Equal(new[] { trials[2].Id, trials[1].Id, trials[3].Id }, j.State.StartNext("w2", 3, Now).Select(s => s.TrialId));
    }

    [Fact]
    public void A_snapshot_at_any_event_plus_the_events_after_it_gives_the_state_of_the_whole_journal()
    {
        var j = Submitted(5, maxFailures: 2);
        var a = j.Record(j.State.StartNext("w1", Now))!;
        var b = j.Record(j.State.StartNext("w2", Now))!;
        j.Record(j.State.Complete(a.TrialId, a.Attempt, "w1", Samples.Result(a.TrialId)));
        j.Record(j.State.Fail(b.TrialId, b.Attempt, "out of memory", Now));
        j.Record(new SweepEvents.TrialsStarted("s", j.State.StartNext("w1", 2, Now).ToArray()));
        j.Record(j.State.Complete(b.TrialId, 2, "w1", Samples.Result(b.TrialId) with { Status = TrialStatus.Stopped }));
        j.Record(new SweepEvents.Cancelled("s", Now));
        string Of(SweepState state) => System.Text.Json.JsonSerializer.Serialize(state.ToSnapshot(),
            new System.Text.Json.JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });

        string whole = Of(j.State);
        for (int at = 1; at <= j.Journal.Count; at++)
        {
            var before = new SweepState();
            foreach (var e in j.Journal.Take(at)) before.Apply(e);
            var restored = new SweepState();
            restored.Restore(before.ToSnapshot());
            foreach (var e in j.Journal.Skip(at)) restored.Apply(e);
            Assert.Equal(whole, Of(restored));
        }
        Assert.Equal(TrialStatus.Stopped, j.State.Find(b.TrialId)!.Status);
    }

    // ----- pretrained bases: tasks of the sweep -----

    static Journaled SubmittedMixed(params TrialSpec[] trials)
    {
        var j = new Journaled();
        j.Record(new SweepEvents.Submitted("s", "demo", trials, 2, Now));
        return j;
    }

    [Fact]
    public void A_base_is_built_once_before_its_trials_while_scratch_trials_run_meanwhile()
    {
        var (p1, p2, scratch) = (Samples.PretrainedTrial(1), Samples.PretrainedTrial(2), Samples.ScratchTrial(3));
        var j = SubmittedMixed(p1, p2, scratch);
        Assert.Single(j.State.Bases);
        Assert.Equal(3, j.State.Trials.Count);   // the base is not a trial: counts and tables hold trials only

        var build = j.Record(j.State.StartNext("w1", Now))!;
        Assert.Equal(p1.PretrainTaskId, build.TrialId);
        // While the base is built, only the scratch trial can start; a second worker gets nothing more.
        Assert.Equal(scratch.Id, j.Record(j.State.StartNext("w2", Now))!.TrialId);
        Assert.Null(j.State.StartNext("w3", Now));
        Assert.Null(j.State.BaseOf(p1));

        j.Record(j.State.Complete(build.TrialId, 1, "w1", Samples.BaseBuilt(build.TrialId, new string('c', 64))));
        Assert.Equal(new string('c', 64), j.State.BaseOf(p2));
        Assert.Equal(new[] { p1.Id, p2.Id }, j.State.StartNext("w1", 2, Now).Select(s => s.TrialId));
        Assert.False(j.State.IsFinished);
    }

    [Fact]
    public void A_base_that_fails_for_good_fails_the_trials_waiting_for_it_and_replays_the_same()
    {
        var (p1, p2, scratch) = (Samples.PretrainedTrial(1), Samples.PretrainedTrial(2), Samples.ScratchTrial(3));
        var j = SubmittedMixed(p1, p2, scratch);
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            var build = j.Record(j.State.StartNext("w1", Now))!;
            Assert.Equal((p1.PretrainTaskId, attempt), (build.TrialId, build.Attempt));
            j.Record(j.State.Fail(build.TrialId, attempt, "pretraining diverged", Now));
        }
        Assert.All(new[] { p1, p2 }, t => Assert.Equal(TrialStatus.Failed, j.State.Find(t.Id)!.Status));
        Assert.Contains("pretraining diverged", j.State.Find(p1.Id)!.LastFailure);
        Assert.Equal(TrialStatus.Pending, j.State.Find(scratch.Id)!.Status);

        var replayed = new SweepState();
        foreach (var e in j.Journal) replayed.Apply(e);
        Assert.Equal(TrialStatus.Failed, replayed.Find(p2.Id)!.Status);
    }

    [Fact]
    public void Different_pretrainings_are_different_bases_and_a_base_whose_trials_were_all_reused_is_not_built()
    {
        var (a, b) = (Samples.PretrainedTrial(1, pretrainSeed: 0), Samples.PretrainedTrial(1, pretrainSeed: 1));
        Assert.NotEqual(a.PretrainTaskId, b.PretrainTaskId);
        var j = SubmittedMixed(a, b);
        Assert.Equal(2, j.State.Bases.Count());
        j.Record(new SweepEvents.TrialCompleted("s", a.Id, 0, "reused", Samples.Result(a.Id)));
        Assert.Equal(b.PretrainTaskId, j.Record(j.State.StartNext("w1", Now))!.TrialId);
        Assert.Null(j.State.StartNext("w2", Now));   // a's base is wanted by no pending trial
    }

    [Fact]
    public void A_running_base_on_a_lost_worker_goes_back_to_the_queue_and_snapshots_keep_bases()
    {
        var p1 = Samples.PretrainedTrial(1);
        var j = SubmittedMixed(p1);
        var build = j.Record(j.State.StartNext("w1", Now))!;
        foreach (var e in j.State.WorkerLost("w1", "host gone", Now)) j.Record(e);
        Assert.Equal(TrialStatus.Pending, j.State.FindTask(build.TrialId)!.Status);
        var again = j.Record(j.State.StartNext("w2", Now))!;
        j.Record(j.State.Complete(again.TrialId, 2, "w2", Samples.BaseBuilt(again.TrialId, new string('d', 64))));

        var restored = new SweepState();
        restored.Restore(j.State.ToSnapshot());
        Assert.Equal(new string('d', 64), restored.BaseOf(p1));
        Assert.Equal(p1.Id, restored.StartNext("w1", Now)!.TrialId);
    }
}
