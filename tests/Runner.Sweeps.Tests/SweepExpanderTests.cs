namespace Runner.Sweeps.Tests;

public class SweepExpanderTests
{
    [Fact]
    public void Grid_expands_to_the_product_with_scratch_pruned_to_freeze_depth_zero()
    {
        var trials = SweepExpander.Expand(SweepText.Parse(SweepText.Example));
        // pretrained: 3 depths x 2 lr x 3 sizes; scratch: 2 lr x 3 sizes (freeze depth is meaningless); x 3 seeds.
        Assert.Equal((18 + 6) * 3, trials.Count);
        Assert.All(trials.Where(t => t.Initialization == Initialization.Scratch), t =>
        {
            Assert.Equal(0, t.FreezeDepth);
            Assert.Null(t.Pretrain);
        });
        Assert.Equal(trials.Count, trials.Select(t => t.Id).Distinct().Count());
    }

    [Fact]
    public void Expansion_is_deterministic_and_seeds_are_innermost()
    {
        var a = SweepExpander.Expand(SweepText.Parse(SweepText.Example));
        var b = SweepExpander.Expand(SweepText.Parse(SweepText.Example));
        Assert.Equal(a.Select(t => t.Id), b.Select(t => t.Id));
        Assert.Equal(new[] { 1, 2, 3 }, a.Take(3).Select(t => t.Seed));
        Assert.Equal((Initialization.Pretrained, 0, 1e-3, 10), (a[0].Initialization, a[0].FreezeDepth, a[0].LearningRate, a[0].DatasetSize));
    }

    [Fact]
    public void A_trial_has_the_same_id_in_another_sweep_and_a_different_one_when_anything_that_matters_changes()
    {
        var trial = SweepExpander.Expand(SweepText.Parse(SweepText.Example))[0];
        var other = SweepText.Parse(SweepText.Example.Replace("name: fashion-freeze-depth", "name: another")
            .Replace("learning_rate: [1e-3, 1e-2]", "learning_rate: [0.01, 0.001]").Replace("max_failures: 2", "max_failures: 5")
            .Replace("target:   { dataset: fashion-mnist, classes: [5,6,7,8,9] }", "target:   { dataset: fashion-mnist, classes: [5,6,7,8,9], data: /elsewhere }"));
        Assert.Contains(trial.Id, SweepExpander.Expand(other).Select(t => t.Id));

        Assert.NotEqual(trial.Id, (trial with { Seed = 99 }).Id);
        Assert.NotEqual(trial.Id, (trial with { Pretrain = trial.Pretrain! with { Epochs = 4 } }).Id);
        Assert.NotEqual(trial.Id, (trial with { TargetClasses = new[] { 5, 6, 7, 8 } }).Id);
        // Momentum does nothing to Adam, so it does not make a new trial.
        Assert.Equal(trial.Id, (trial with { Momentum = 0.5 }).Id);
    }

    [Fact]
    public void Trial_ids_are_stable_across_releases()
    {
        // Resuming a sweep relies on ids: if this value changes, every recorded result would be orphaned. Records
        // from before epoch selection tested the last epoch: they are the trials of `select: last`.
        var trial = SweepExpander.Expand(SweepText.Parse(SweepText.Example.Replace("optimizer: adam }", "optimizer: adam, select: last }")))[0];
        Assert.Equal("80f70e741f0db93a", trial.Id);
        // Today's default tests the best epoch: a different trial, with an id of its own, as stable.
        Assert.Equal("4f9429396fdc8983", SweepExpander.Expand(SweepText.Parse(SweepText.Example))[0].Id);
    }

    [Fact]
    public void Random_search_draws_the_same_configurations_for_the_same_random_seed()
    {
        string yaml = SweepText.Example.Replace("method: grid", "method: random\n  samples: 20\n  random_seed: 7")
            .Replace("learning_rate: [1e-3, 1e-2]", "learning_rate: { distribution: log_uniform, min: 1e-4, max: 1e-1 }")
            .Replace("dataset_size: [10, 100, 1000]", "dataset_size: { distribution: int_uniform, min: 10, max: 200 }");
        var a = SweepExpander.Expand(SweepText.Parse(yaml));
        var b = SweepExpander.Expand(SweepText.Parse(yaml));
        Assert.Equal(a.Select(t => t.Id), b.Select(t => t.Id));
        Assert.Equal(60, a.Count);
        Assert.All(a, t => Assert.InRange(t.LearningRate, 1e-4, 1e-1));
        Assert.All(a, t => Assert.InRange(t.DatasetSize, 10, 200));
        Assert.True(a.Select(t => t.LearningRate).Distinct().Count() > 10);
        var c = SweepExpander.Expand(SweepText.Parse(yaml.Replace("random_seed: 7", "random_seed: 8")));
        Assert.NotEqual(a.Select(t => t.Id), c.Select(t => t.Id));
    }

    [Fact]
    public void Random_search_needs_a_sample_count()
    {
        var error = Assert.Single(SweepText.Errors(SweepText.Example.Replace("method: grid", "method: random")));
        Assert.Contains("needs sweep.samples", error.Message);
    }
}

public class DatasetCapacityTests
{
    [Fact]
    public void Without_dataset_size_every_trial_trains_on_what_the_data_holds_after_validation_the_number_the_validator_checks()
    {
        string yaml = SweepText.Example.Replace("    dataset_size: [10, 100, 1000]\n", "").Replace("target:   { dataset: fashion-mnist, classes: [5,6,7,8,9] }",
            "target:   { dataset: fashion-mnist, classes: [5,6,7,8,9], validation_per_class: 20 }");
        // The data folder holds 60 images in its smallest class (a subset), not the published 6,000.
        var d = SweepText.Parse(yaml, (_, _) => 60);
        Assert.Equal(40, d.Target.Capacity);
        Assert.All(SweepExpander.Expand(d), t => Assert.Equal(40, t.DatasetSize));
        var tooMany = SweepText.Errors(yaml.Replace("    learning_rate:", "    dataset_size: [41]\n    learning_rate:"), (_, _) => 60);
        Assert.Contains(tooMany, e => e.Message.Contains("dataset_size 41 is more than any class holds: the largest has 40 training examples"));
    }

    [Fact]
    public void A_list_of_pretraining_seeds_makes_one_base_each_for_pretrained_trials_and_leaves_scratch_trials_alone()
    {
        var d = SweepText.Parse(SweepText.Example.Replace("lr: 1e-3, seed: 0 }", "lr: 1e-3, seed: [0, 1] }"));
        Assert.Equal(new[] { 0, 1 }, d.Base.BaseSeeds);
        var trials = SweepExpander.Expand(d);
        Assert.Equal(18 * 2 * 3 + 6 * 3, trials.Count);
        Assert.Equal(2, trials.Select(t => t.PretrainTaskId).OfType<string>().Distinct().Count());
        Assert.Equal(new[] { 0, 1 }, trials.Where(t => t.Pretrain != null).Select(t => t.Pretrain!.Seed).Distinct().Order());
        Assert.All(trials.Where(t => t.Initialization == Initialization.Scratch), t => Assert.Null(t.Pretrain));
        // With one seed nothing changes: the same trials, the same ids.
        var single = SweepExpander.Expand(SweepText.Parse(SweepText.Example));
        Assert.Equal(single.Select(t => t.Id), SweepExpander.Expand(SweepText.Parse(SweepText.Example.Replace("seed: 0 }", "seed: [0] }"))).Select(t => t.Id));
        Assert.Contains(SweepText.Errors(SweepText.Example.Replace("seed: 0 }", "seed: [] }")), e => e.Message.Contains("base.pretrain.seed must not be empty"));
    }
}
