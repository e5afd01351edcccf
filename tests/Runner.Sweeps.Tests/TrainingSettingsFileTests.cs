namespace Runner.Sweeps.Tests;

/// <summary>
/// The objective, epoch selection, patience and the training settings of a sweep file: read into every trial, part
/// of its id, refused with one line at their position when they make no sense, the same way through the API.
/// </summary>
public class TrainingSettingsFileTests
{
    static string With(string train, string metric = "metric: { name: val_accuracy, goal: maximize }", string extra = "") =>
        SweepText.Example.Replace("train:    { epochs: 5, batch_size: 64, optimizer: adam }", $"train:    {{ epochs: 5, batch_size: 64, {train} }}")
            .Replace("metric: { name: val_accuracy, goal: maximize }", metric + extra);

    [Fact]
    public void The_objective_and_the_training_settings_reach_every_trial()
    {
        var d = SweepText.Parse(With("optimizer: sgd, nesterov: true, lr_schedule: cosine, warmup_epochs: 1, label_smoothing: 0.1, grad_clip: 1.0",
            "metric: { name: val_loss, goal: minimize }", "\n  early_stop: { type: patience, patience: 2, min_delta: 0.01 }"));
        var trials = SweepExpander.Expand(d);
        Assert.All(trials, t =>
        {
            Assert.Equal(new Objective("val_loss", false), t.Objective);
            Assert.True(t.SelectsBestEpoch);
            Assert.Equal((2, 0.01), (t.Patience, t.MinDelta));
            Assert.Equal((LearningRateSchedule.Cosine, 1, 0.1, 1.0, true), (t.ScheduleName, t.WarmupEpochs, t.LabelSmoothing, t.GradClip, t.Nesterov));
        });
        Assert.Null(d.Sweep.EarlyStop);   // patience travels in the trials; ASHA is the coordinator's
    }

    [Fact]
    public void The_objective_and_selection_change_trial_and_sweep_ids_and_select_last_keeps_the_old_ones()
    {
        var plain = SweepText.Parse(SweepText.Example);
        var last = SweepText.Parse(With("optimizer: adam, select: last"));
        var loss = SweepText.Parse(With("optimizer: adam", "metric: { name: val_loss }"));
        string[] Ids(SweepDefinition d) => SweepExpander.Expand(d).Select(t => t.Id).ToArray();
        Assert.NotEqual(Ids(plain), Ids(last));
        Assert.NotEqual(Ids(plain), Ids(loss));
        Assert.NotEqual(SweepRequest.From(plain).Id, SweepRequest.From(loss).Id);
        // A record written before selection existed (no select, no objective) is the same trial as `select: last`.
        var legacy = SweepExpander.Expand(last)[0] with { Select = null };
        Assert.Equal(SweepExpander.Expand(last)[0].Id, legacy.Id);
        Assert.DoesNotContain("select", legacy.Canonical());
        Assert.DoesNotContain("objective", legacy.Canonical());
    }

    [Theory]
    [InlineData("metric: { name: val_loss, goal: maximize }", "sweep.metric.goal of val_loss must be minimize, got maximize")]
    [InlineData("metric: { name: val_accuracy, goal: minimize }", "sweep.metric.goal of val_accuracy must be maximize, got minimize")]
    [InlineData("metric: { name: val_top5_accuracy }", "needs more than five target classes")]
    [InlineData("metric: { name: test_accuracy }", "sweep.metric.name must be one of val_accuracy, val_loss, val_macro_f1")]
    public void An_objective_that_makes_no_sense_is_refused_at_its_position(string metric, string message)
    {
        var error = Assert.Single(SweepText.Errors(With("optimizer: adam", metric)));
        Assert.Contains(message, error.Message);
        Assert.Equal(13, error.Line);   // the metric's line
    }

    [Theory]
    [InlineData("optimizer: adam, lr_schedule: step", "lr_schedule step needs lr_milestones")]
    [InlineData("optimizer: adam, lr_schedule: step, lr_milestones: [3, 2]", "lr_milestones must increase and lie in 1..4")]
    [InlineData("optimizer: adam, lr_schedule: cosine, lr_milestones: [2]", "lr_milestones only apply to lr_schedule step")]
    [InlineData("optimizer: adam, lr_schedule: one-cycle, warmup_epochs: 1", "one-cycle warms up by itself")]
    [InlineData("optimizer: adam, warmup_epochs: 5", "warmup_epochs 5 leaves no epoch of the schedule")]
    [InlineData("optimizer: adam, nesterov: true", "train.nesterov applies to optimizer sgd, and no trial uses it")]
    [InlineData("optimizer: sgd, momentum: 0, nesterov: true", "nesterov needs momentum > 0")]
    [InlineData("optimizer: adam, label_smoothing: 1", "label_smoothing must be in [0, 1)")]
    [InlineData("optimizer: adam, lr_schedule: linear", "train.lr_schedule must be one of constant, cosine, step, one-cycle")]
    [InlineData("optimizer: adam, select: first", "train.select must be one of best, last")]
    public void Training_settings_that_do_not_fit_together_are_refused_in_one_line(string train, string message)
    {
        var error = Assert.Single(SweepText.Errors(With(train)));
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("\n  early_stop: { type: patience }", "missing")]
    [InlineData("\n  early_stop: { type: patience, patience: 0 }", "sweep.early_stop.patience must be >= 1, got 0")]
    [InlineData("\n  early_stop: { type: patience, patience: 2, grace_epochs: 1 }", "grace_epochs")]
    [InlineData("\n  early_stop: { type: hyperband }", "sweep.early_stop.type must be one of asha, patience")]
    public void Bad_patience_settings_are_refused(string extra, string message)
    {
        var errors = SweepText.Errors(With("optimizer: adam", extra: extra));
        Assert.Contains(errors, e => e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_sweep_over_schedules_is_checked_per_trial()
    {
        var d = SweepText.Parse(SweepText.Example.Replace("dataset_size: [10, 100, 1000]", "dataset_size: [10]\n    lr_schedule: [constant, cosine, one-cycle]\n    label_smoothing: [0, 0.1]"));
        var trials = SweepExpander.Expand(d);
        Assert.Equal(new[] { "constant", "cosine", "one-cycle" }, trials.Select(t => t.ScheduleName).Distinct());
        Assert.Equal(3 * 2, trials.Select(t => (t.ScheduleName, t.LabelSmoothing)).Distinct().Count());
        var refused = Assert.Single(SweepText.Errors(SweepText.Example.Replace("dataset_size: [10, 100, 1000]", "dataset_size: [10]\n    lr_schedule: [constant, one-cycle]\n    warmup_epochs: [0, 1]")));
        Assert.Contains("one-cycle warms up by itself", refused.Message);
    }

    [Fact]
    public void The_api_refuses_what_the_file_refuses()
    {
        var t = SweepExpander.Expand(SweepText.Parse(SweepText.Example))[0];
        Assert.Contains(SubmittedSweepRules.Of(t with { Metric = "val_loss", Minimize = false }), p => p.Contains("must be minimize"));
        Assert.Contains(SubmittedSweepRules.Of(t with { Metric = "val_top5_accuracy" }), p => p.Contains("more than five target classes"));
        Assert.Contains(SubmittedSweepRules.Of(t with { Select = "first" }), p => p.Contains("select must be one of best, last"));
        Assert.Contains(SubmittedSweepRules.Of(t with { Patience = -1 }), p => p.Contains("patience must be >= 1"));
        Assert.Contains(SubmittedSweepRules.Of(t with { LrSchedule = "one-cycle", WarmupEpochs = 1 }), p => p.Contains("one-cycle warms up by itself"));
        Assert.Contains(SubmittedSweepRules.Of(t with { GradClip = -1 }), p => p.Contains("grad_clip must be >= 0"));
        Assert.Contains(SubmittedSweepRules.Of(t with { Nesterov = true }), p => p.Contains("nesterov applies to optimizer sgd"));
        Assert.Empty(SubmittedSweepRules.Of(t with { LrSchedule = "step", LrMilestones = new[] { 2 }, LrGamma = 0.5, Optimizer = "adamw" }));
    }
}
