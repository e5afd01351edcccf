namespace Runner.Sweeps.Tests;

public class SweepFileTests
{
    [Fact]
    public void The_example_file_parses_with_every_setting_read()
    {
        var d = SweepText.Parse(SweepText.Example);
        Assert.Equal("fashion-freeze-depth", d.Name);
        Assert.Equal("convnet4", d.Base.Model);
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, d.Base.Pretrain!.Classes);
        Assert.Equal(3, d.Base.Pretrain.Epochs);
        Assert.Equal(1e-3, d.Base.Pretrain.LearningRate);
        Assert.Equal(new[] { 5, 6, 7, 8, 9 }, d.Target.Classes);
        Assert.Equal(5, d.Train.Epochs);
        Assert.Equal(new[] { "initialization", "freeze_depth", "learning_rate", "dataset_size" }, d.Sweep.Parameters.Select(p => p.Name));
        Assert.Equal(new object[] { 1e-3, 1e-2 }, d.Sweep.Parameters[2].Values);
        Assert.Equal(new[] { 1, 2, 3 }, d.Sweep.Seeds);
        Assert.True(d.Sweep.Metric.Maximize);
        Assert.Equal(2, d.Resources.MaxFailures);
    }

    [Fact]
    public void Classes_may_be_named_and_relative_data_folders_resolve_against_the_file()
    {
        var d = SweepText.Parse(SweepText.Example
            .Replace("target:   { dataset: fashion-mnist, classes: [5,6,7,8,9] }",
                     "target:   { dataset: fashion-mnist, classes: [Sandal, shirt, 7, Bag, Ankle boot], data: sub/dir }"));
        Assert.Equal(new[] { 5, 6, 7, 8, 9 }, d.Target.Classes);
        Assert.Equal(Path.GetFullPath("/data/sub/dir"), d.Target.DataDir);
    }

    [Fact]
    public void Unknown_keys_are_reported_at_their_position_with_a_suggestion()
    {
        var errors = SweepText.Errors(SweepText.Example.Replace("max_failures: 2", "max_failurs: 2").Replace("  seeds: [1, 2, 3]", "  sedes: [1, 2, 3]"));
        Assert.Contains(errors, e => e.Line == 12 && e.Column == 3 && e.Message == "unknown key 'sweep.sedes' (did you mean 'seeds'?)");
        Assert.Contains(errors, e => e.Line == 14 && e.Message.Contains("unknown key 'resources.max_failurs' (did you mean 'max_failures'?)"));
        Assert.Equal("sweep.yaml:12:3: unknown key 'sweep.sedes' (did you mean 'seeds'?)", errors.Single(e => e.Line == 12).ToString());
    }

    [Fact]
    public void Every_problem_of_a_file_is_reported_at_once_in_file_order()
    {
        string yaml = """
            name: bad
            base: { model: convnet4, pretrain: { classes: [0, 1, 5], lr: 0 } }
            target: { dataset: fashion-mnist, classes: [5, 6, 11] }
            train: { epochs: many }
            sweep:
              parameters:
                freeze_depth: [0, 9]
                learning_rate: [1e-3, -1]
                dataset_size: [10, 10]
                initialization: []
            """;
        var errors = SweepText.Errors(yaml);
        var messages = errors.Select(e => $"{e.Line}:{e.Column} {e.Message}").ToList();
        Assert.Contains(messages, m => m.StartsWith("2:") && m.Contains("base.pretrain.lr must be > 0"));
        Assert.Contains(messages, m => m.StartsWith("3:51 ") && m.Contains("fashion-mnist has no class '11'"));
        Assert.Contains(messages, m => m.StartsWith("4:18 ") && m.Contains("train.epochs must be a whole number, got 'many'"));
        Assert.Contains(messages, m => m.StartsWith("7:23 ") && m.Contains("freeze_depth 9 is outside 0..4 (convnet4 has 4 stages)"));
        Assert.Contains(messages, m => m.StartsWith("8:27 ") && m.Contains("learning_rate must be > 0"));
        Assert.Contains(messages, m => m.StartsWith("9:24 ") && m.Contains("lists 10 twice"));
        Assert.Contains(messages, m => m.StartsWith("10:21 ") && m.Contains("must not be empty"));
        Assert.Equal(7, errors.Count);
        Assert.Equal(errors.OrderBy(e => e.Line).ThenBy(e => e.Column), errors);
    }

    [Fact]
    public void Overlapping_source_and_target_classes_are_refused()
    {
        var errors = SweepText.Errors(SweepText.Example.Replace("classes: [0,1,2,3,4]", "classes: [0,1,2,3,5]"));
        var error = Assert.Single(errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("source and target classes overlap (5)", error.Message);
    }

    [Fact]
    public void Dataset_size_is_checked_against_what_the_data_holds_after_the_validation_split()
    {
        // A data folder with 1,000 images per class and the default 100 validation images leaves 900.
        var errors = SweepText.Errors(SweepText.Example, (_, _) => 1000);
        var error = Assert.Single(errors);
        Assert.Equal((11, 29), (error.Line, error.Column));
        Assert.Contains("dataset_size 1000 is more than any class holds: the largest has 900", error.Message);
        SweepText.Parse(SweepText.Example, (_, _) => 1100);
    }

    [Fact]
    public void A_grid_above_the_cap_is_refused_before_it_is_built()
    {
        string huge = SweepText.Example.Replace("  seeds: [1, 2, 3]", "  seeds: [1, 2, 3]\n  max_trials: 50");
        var error = Assert.Single(SweepText.Errors(huge));
        Assert.Contains("expands to 108 trials, more than the cap of 50", error.Message);
        Assert.Equal(7, error.Line);
    }

    [Fact]
    public void Invalid_yaml_gives_a_position_not_an_exception_trace()
    {
        var error = Assert.Single(SweepText.Errors("name: x\nbase: { model: convnet4\ntarget: [\n"));
        Assert.StartsWith("not valid YAML", error.Message);
        Assert.True(error.Line >= 2);
    }

    [Fact]
    public void Missing_sections_and_wrong_shapes_are_named()
    {
        var errors = SweepText.Errors("name: x\nbase: convnet4\n");
        Assert.Contains(errors, e => e.Message == "base must be a mapping (key: value lines)" && e.Line == 2 && e.Column == 7);
        Assert.Contains(errors, e => e.Message == "missing required key 'target'");
        Assert.Contains(errors, e => e.Message == "missing required key 'sweep'");
    }

    [Fact]
    public void Pretrained_trials_need_pretraining_settings()
    {
        var error = Assert.Single(SweepText.Errors(SweepText.Example.Replace(", pretrain: { dataset: fashion-mnist, classes: [0,1,2,3,4], epochs: 3, lr: 1e-3, seed: 0 }", "")));
        Assert.Contains("needs base.pretrain", error.Message);
        // A scratch-only sweep does not.
        SweepText.Parse(SweepText.Example.Replace(", pretrain: { dataset: fashion-mnist, classes: [0,1,2,3,4], epochs: 3, lr: 1e-3, seed: 0 }", "")
            .Replace("initialization: [pretrained, scratch]", "initialization: [scratch]"));
    }

    [Fact]
    public void Unknown_sweep_parameters_and_choices_suggest_the_closest_name()
    {
        var errors = SweepText.Errors(SweepText.Example.Replace("freeze_depth: [0, 2, 4]", "freeze_dept: [0, 2, 4]")
            .Replace("initialization: [pretrained, scratch]", "initialization: [pretrianed, scratch]"));
        Assert.Contains(errors, e => e.Message.StartsWith("unknown sweep parameter 'freeze_dept' (did you mean 'freeze_depth'?)"));
        Assert.Contains(errors, e => e.Message.Contains("got 'pretrianed' (did you mean 'pretrained'?)"));
    }

    [Fact]
    public void Distributions_belong_to_random_search()
    {
        var error = Assert.Single(SweepText.Errors(SweepText.Example.Replace("learning_rate: [1e-3, 1e-2]",
            "learning_rate: { distribution: log_uniform, min: 1e-4, max: 1e-1 }")));
        Assert.Contains("a distribution needs method: random", error.Message);
    }
}
