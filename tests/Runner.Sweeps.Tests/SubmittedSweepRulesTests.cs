namespace Runner.Sweeps.Tests;

/// <summary>The coordinator's checks on a sweep that arrives already expanded, from a client it need not trust.</summary>
public class SubmittedSweepRulesTests
{
    static readonly SweepRequest Valid = SweepRequest.From(SweepText.Parse(SweepText.Example));
    static readonly TrialSpec Trial = Valid.Trials.First(t => t.Initialization == Initialization.Pretrained);

    static IReadOnlyList<string> Problems(params TrialSpec[] trials) => SubmittedSweepRules.Problems(Valid with { Trials = trials });

    [Fact]
    public void What_a_valid_sweep_file_expands_to_passes()
    {
        Assert.Empty(SubmittedSweepRules.Problems(Valid));
    }

    [Fact]
    public void Each_rule_of_a_sweep_file_holds_for_a_submitted_trial_and_says_which_trial()
    {
        Assert.Equal(["the sweep has no trials"], Problems());
        Assert.Equal(["trial 2: unknown model 'vgg' (known: convnet4, resnet18, resnet50, mobilenet_v2)"], Problems(Trial, Trial with { Model = "vgg" }));
        Assert.Equal(["trial 1: freeze_depth 5 is outside 0..4 (convnet4 has 4 stages)"], Problems(Trial with { FreezeDepth = 5 }));
        Assert.Equal(["trial 1: dataset_size 6000 is more than the data holds: 5900 training examples per class are left after the validation split"],
            Problems(Trial with { DatasetSize = 6000, ValidationPerClass = 100 }));
        Assert.Equal(["trial 1: target classes: classes are 0..9, got [5, 12]"], Problems(Trial with { TargetClasses = [5, 12] }));
        Assert.Equal(["trial 1: optimizer must be one of adam, sgd, got 'lbfgs'"], Problems(Trial with { Optimizer = "lbfgs" }));
        Assert.Equal(["trial 1: learning_rate must be a finite number"], Problems(Trial with { LearningRate = double.NaN }));
        Assert.Equal(["trial 1: initialization 7 is not one of pretrained, scratch"], Problems(Trial with { Initialization = (Initialization)7 }));
        Assert.Equal(["trial 1: pretraining epochs must be >= 1, got 0"], Problems(Trial with { Pretrain = Trial.Pretrain! with { Epochs = 0 } }));
        Assert.Equal(["max_failures must be >= 1, got 0"], SubmittedSweepRules.Problems(Valid with { MaxFailures = 0 }));
        Assert.Equal(["name may use letters, digits, '-', '_' and '.', got '../x'"], SubmittedSweepRules.Problems(Valid with { Name = "../x" }));
    }

    [Fact]
    public void Files_travel_only_as_declared_artifacts()
    {
        Assert.Equal(["trial 1: a weight file travels by its SHA-256: the trial names a path without one"], Problems(Trial with { WeightsPath = "/etc/shadow" }));
        Assert.Equal(["trial 1: an image folder travels as an uploaded archive: the trial names none (submit with `runner submit`)"],
            Problems(Trial with { TargetDataset = "image-folder:0123456789abcdef", DataPath = "/home" }));
        Assert.Empty(Problems(Trial with { WeightsPath = "/somewhere/base.pt", WeightsSha256 = new string('a', 64) }));
    }

    [Fact]
    public void A_broken_request_of_many_trials_gets_a_short_answer()
    {
        var broken = Enumerable.Repeat(Trial with { Model = "x" }, 10_000).ToArray();
        Assert.Equal(5, Problems(broken).Count);
    }
}
