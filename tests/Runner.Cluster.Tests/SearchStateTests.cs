using Runner.Cluster.Protocol;
using Runner.Cluster.SweepActors;
using Runner.Sweeps;

namespace Runner.Cluster.Tests;

/// <summary>
/// A search's exactly-once rules on the sweep's own state machine: proposals are journaled decisions, so the budget is
/// spent exactly, replay gives the same trials, and a restart in the middle neither proposes again nor loses one.
/// Results come from a made-up objective of the trials' settings (training is the end-to-end tests' business).
/// </summary>
public class SearchStateTests
{
    static readonly DateTime Now = new(2026, 12, 3, 6, 0, 0, DateTimeKind.Utc);

    const string Tpe = """
        name: tpe-demo
        base: { model: convnet4, pretrain: { dataset: fashion-mnist, classes: [0,1,2,3,4], epochs: 1, lr: 1e-3, seed: 0 } }
        target: { dataset: fashion-mnist, classes: [5,6,7,8,9] }
        train: { epochs: 2, batch_size: 64, optimizer: adam }
        sweep:
          method: tpe
          trials: 24
          parallelism: 3
          random_seed: 5
          parameters:
            learning_rate: { distribution: log_uniform, min: 1e-5, max: 1e-1 }
            weight_decay: { distribution: uniform, min: 0, max: 0.1 }
            head: [linear, mlp]
            freeze_depth: { distribution: int_uniform, min: 0, max: 4 }
          seeds: [1, 2]
        """;

    const string Tune = """
        name: tune-demo
        base: { model: convnet4, pretrain: { dataset: fashion-mnist, classes: [0,1,2,3,4], epochs: 1, lr: 1e-3, seed: 0 } }
        target: { dataset: fashion-mnist, classes: [5,6,7,8,9] }
        train: { epochs: 2, batch_size: 64, optimizer: adam }
        sweep:
          method: tpe
          parameters:
            initialization: [pretrained, scratch]
            freeze_depth: [0, 2]
          tune:
            per: [initialization, freeze_depth]
            budget: 5
            params: { learning_rate: { distribution: log_uniform, min: 1e-5, max: 1e-1 } }
            seeds_after: [1, 2, 3]
          seeds: [7]
        """;

    static SweepRequest Request(string yaml) => SweepRequest.From(SweepFile.Parse(yaml, "sweep.yaml", "/data"));

    /// <summary>Best at a learning rate of 1e-3 and no weight decay; an MLP head a little better.</summary>
    static double Accuracy(TrialSpec t) =>
        0.9 - 0.05 * Math.Pow(Math.Log10(t.LearningRate) + 3, 2) - t.WeightDecay - (t.HeadKind == "mlp" ? 0 : 0.01) + 0.001 * t.Seed
        - (t.Initialization == Initialization.Scratch ? 0.1 : 0.02 * t.FreezeDepth);

    static TrialResult ResultOf(TrialSpec t) =>
        Samples.Result(t.Id) with { BestValAccuracy = Accuracy(t), ObjectiveValue = Accuracy(t) };

    /// <summary>
    /// A sweep driven as the actor drives it, by <paramref name="workers"/> workers asking one trial each; the oldest
    /// running trial finishes first. Every decision is journaled and applied, as the actor persists and applies it.
    /// </summary>
    sealed class Drive
    {
        public SweepState State { get; } = new();
        public List<IRunnerMessage> Journal { get; } = new();
        readonly Queue<(string Id, int Attempt, string Worker)> _running = new();
        public Func<TrialSpec, bool> Fails { get; init; } = _ => false;

        public Drive(SweepRequest request, int maxFailures = 1) =>
            Record(new SweepEvents.Submitted("s", request.Name, request.Trials, maxFailures, Now, Search: request.Search));

        public Drive(IEnumerable<IRunnerMessage> journal)
        {
            foreach (var e in journal) Record(e);
            State.RequeueUnfinished();
        }

        public void Record(IRunnerMessage? e)
        {
            if (e == null) return;
            Journal.Add(e);
            State.Apply(e);
        }

        /// <summary>One worker asks (proposals first, as SweepActor.ProposeFor), or the oldest running trial ends.</summary>
        public bool Step(int workers)
        {
            if (_running.Count < workers)
            {
                while (State.Wants(1) && State.Propose() is { } p) Record(p);
                if (State.StartNext($"w{_running.Count}", Now) is { } started)
                {
                    Record(started);
                    _running.Enqueue((started.TrialId, started.Attempt, started.Worker));
                    return true;
                }
            }
            if (_running.Count == 0) return false;
            var (id, attempt, worker) = _running.Dequeue();
            var spec = State.FindTask(id)!.Spec;
            Record(Fails(spec) ? State.Fail(id, attempt, "boom", Now) : State.Complete(id, attempt, worker, ResultOf(spec)));
            return true;
        }

        public Drive RunToEnd(int workers = 3, int maxSteps = 10_000)
        {
            for (int i = 0; i < maxSteps && Step(workers); i++) { }
            return this;
        }

        public Drive RunSteps(int steps, int workers = 3)
        {
            for (int i = 0; i < steps && Step(workers); i++) { }
            return this;
        }

        public IEnumerable<SweepEvents.Proposed> Proposals => Journal.OfType<SweepEvents.Proposed>();
        public IReadOnlyList<string> TrialIds => State.Trials.Select(t => t.Id).ToList();
    }

    [Fact]
    public void A_tpe_sweep_proposes_its_budget_once_each_and_the_same_trials_every_time()
    {
        var request = Request(Tpe);
        Assert.Empty(request.Trials);
        var run = new Drive(request).RunToEnd();

        Assert.True(run.State.IsFinished);
        Assert.Equal(Enumerable.Range(0, 24), run.Proposals.Select(p => p.Number));
        Assert.Equal(48, run.State.Trials.Count);   // 24 configurations × seeds 1, 2
        Assert.All(run.State.Trials, t => Assert.Equal((TrialStatus.Completed, 1), (t.Status, t.Attempts)));
        // Each trial started once (the pretrained base is a task of its own, started once too).
        Assert.Equal(49, run.Journal.OfType<SweepEvents.TrialStarted>().Count());
        Assert.Equal(0, run.State.Unproposed);
        // Never more than the parallelism in flight: each proposal came when fewer than 3 configurations were running.
        Assert.Null(run.State.Propose());

        // Deterministic: the same sweep with the same results proposes the same trials in the same order...
        Assert.Equal(run.TrialIds, new Drive(Request(Tpe)).RunToEnd().TrialIds);
        // ... and replaying its journal rebuilds it exactly.
        var replayed = new Drive(run.Journal);
        Assert.Equal(run.TrialIds, replayed.TrialIds);
        Assert.True(replayed.State.IsFinished);

        // The sampler learned: its second half is nearer the best learning rate (1e-3) than its random start.
        double Gap(IEnumerable<SweepEvents.Proposed> ps) => ps.Average(p => Math.Abs(Math.Log10(p.Trials[0].LearningRate) + 3));
        Assert.True(Gap(run.Proposals.Skip(12)) < Gap(run.Proposals.Take(10)),
            $"later proposals {Gap(run.Proposals.Skip(12)):F2} decades from the best, the random start {Gap(run.Proposals.Take(10)):F2}");
    }

    [Fact]
    public void Stopping_the_coordinator_mid_search_neither_proposes_again_nor_loses_a_proposal()
    {
        var request = Request(Tpe);
        var whole = new Drive(request).RunToEnd();
        for (int cut = 5; cut < 80; cut += 15)
        {
            var first = new Drive(request).RunSteps(cut);
            int proposedBefore = first.Proposals.Count();
            Assert.False(first.State.IsFinished);
            // A new coordinator reads the journal (running trials go back to the queue) and goes on.
            var second = new Drive(first.Journal).RunToEnd();
            Assert.True(second.State.IsFinished);
            Assert.Equal(Enumerable.Range(0, 24), second.Proposals.Select(p => p.Number));
            Assert.Equal(48, second.State.Trials.Count);
            Assert.All(second.State.Trials, t => Assert.Single(second.Journal.OfType<SweepEvents.TrialCompleted>(), c => c.TrialId == t.Id));
            Assert.Equal(first.TrialIds, second.TrialIds.Take(first.TrialIds.Count));
            Assert.True(proposedBefore > 0);
        }
        // A snapshot holds the search too: restored, it proposes what the journal would have.
        var half = new Drive(request).RunSteps(40);
        var restored = new SweepState();
        restored.Restore(half.State.ToSnapshot());
        Assert.Equal(half.State.Propose()?.Trials.Select(t => t.Id), restored.Propose()?.Trials.Select(t => t.Id));
        Assert.Equal(half.State.Unproposed, restored.Unproposed);
        Assert.True(whole.State.IsFinished);
    }

    [Fact]
    public void Failed_trials_leave_the_budget_exact_and_teach_the_sampler_nothing()
    {
        var request = Request(Tpe);
        var run = new Drive(request) { Fails = t => t.LearningRate > 0.03 }.RunToEnd();
        Assert.True(run.State.IsFinished);
        Assert.Equal(24, run.Proposals.Count());
        Assert.Contains(run.State.Trials, t => t.Status == TrialStatus.Failed);
        Assert.All(run.State.Trials, t => Assert.True(t.IsFinal));
    }

    [Fact]
    public void Per_cell_tuning_searches_each_cell_then_runs_its_winner_on_the_seeds_after()
    {
        var request = Request(Tune);
        // Scratch at freeze depths 0 and 2 is one cell: a scratch model has nothing to freeze.
        Assert.Equal(new[] { "initialization=pretrained, freeze_depth=0", "initialization=pretrained, freeze_depth=2", "initialization=scratch, freeze_depth=0" },
            request.Search!.Studies.Select(s => s.Label));
        var run = new Drive(request).RunToEnd(workers: 2);
        Assert.True(run.State.IsFinished);
        foreach (var (study, index) in request.Search.Studies.Select((s, i) => (s, i)))
        {
            var searched = run.Proposals.Where(p => p.Study == index && !p.Final).ToList();
            Assert.Equal(5, searched.Count);
            Assert.All(searched, p => Assert.Equal(7, p.Trials.Single().Seed));
            var winner = searched.Select(p => p.Trials.Single()).MaxBy(Accuracy)!;
            var finals = run.Proposals.Single(p => p.Study == index && p.Final).Trials;
            Assert.Equal(new[] { 1, 2, 3 }, finals.Select(t => t.Seed));
            Assert.All(finals, t =>
            {
                Assert.Equal(winner.LearningRate, t.LearningRate);
                Assert.Equal((winner.Initialization, winner.FreezeDepth), (t.Initialization, t.FreezeDepth));
                Assert.Equal("tpe, 5 trials", t.TunedBy);
            });
        }
        Assert.Equal(3 * (5 + 3), run.State.Trials.Count);
    }

    [Fact]
    public void A_proposal_equal_to_a_trial_the_sweep_has_reuses_it_and_still_counts_against_the_budget()
    {
        // One choice only: every proposal is the same configuration, run once.
        var request = Request(Tpe.Replace("""
                learning_rate: { distribution: log_uniform, min: 1e-5, max: 1e-1 }
                weight_decay: { distribution: uniform, min: 0, max: 0.1 }
                head: [linear, mlp]
                freeze_depth: { distribution: int_uniform, min: 0, max: 4 }
            """, """
                head: [mlp]
            """));
        var run = new Drive(request).RunToEnd();
        Assert.True(run.State.IsFinished);
        Assert.Equal(24, run.Proposals.Count());
        Assert.Equal(2, run.State.Trials.Count);
        Assert.Equal(2, run.Journal.OfType<SweepEvents.TrialStarted>().Count(s => !run.State.IsBase(s.TrialId)));
    }

    [Fact]
    public void A_cancelled_search_is_finished_and_proposes_nothing_more()
    {
        var run = new Drive(Request(Tpe)).RunSteps(10);
        run.Record(new SweepEvents.Cancelled("s", Now));
        Assert.True(run.State.IsFinished);
        Assert.Null(run.State.Propose());
        Assert.False(run.State.HasWork);
        Assert.Equal(0, run.State.Unproposed);
    }
}
