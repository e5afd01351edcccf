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
        Assert.Equal([$"trial 2: unknown model 'vgg' (known: {string.Join(", ", KnownModels.All.Select(m => m.Name))})"], Problems(Trial, Trial with { Model = "vgg" }));
        Assert.Equal(["trial 1: freeze_depth 5 is outside 0..4 (convnet4 has 4 stages)"], Problems(Trial with { FreezeDepth = 5 }));
        Assert.Equal(["trial 1: dataset_size 6000 is more than any class holds: the largest has 5900 training examples left after the validation split (dataset_size: all takes every image)"],
            Problems(Trial with { DatasetSize = 6000, ValidationPerClass = 100 }));
        Assert.Equal(["trial 1: target.classes: classes are 0..9, got [5, 12]"], Problems(Trial with { TargetClasses = [5, 12] }));
        Assert.Equal(["trial 1: optimizer must be one of adam, adamw, sgd, got 'lbfgs'"], Problems(Trial with { Optimizer = "lbfgs" }));
        Assert.Equal(["trial 1: learning_rate must be a finite number"], Problems(Trial with { LearningRate = double.NaN }));
        Assert.Equal(["trial 1: initialization 7 is not one of pretrained, scratch"], Problems(Trial with { Initialization = (Initialization)7 }));
        Assert.Equal(["trial 1: pretrain.epochs must be >= 1, got 0"], Problems(Trial with { Pretrain = Trial.Pretrain! with { Epochs = 0 } }));
        Assert.Equal(["max_failures must be >= 1, got 0"], SubmittedSweepRules.Problems(Valid with { MaxFailures = 0 }));
        Assert.Equal(["name may use letters, digits, '-', '_' and '.', got '../x'"], SubmittedSweepRules.Problems(Valid with { Name = "../x" }));
    }

    /// <summary>
    /// The validator's invalid files, each beside the request a client would send for it (the valid example, expanded,
    /// with the same setting broken): both doors refuse, with the same words. A file that passes `runner validate`
    /// and a request the API takes follow one set of rules.
    /// </summary>
    public static TheoryData<string, string, string, string> BrokenBothWays => new()
    {
        // what is broken, the file's line → its broken line, the rule's words both doors must say
        { "name", "name: fashion-freeze-depth", "name: 'a b'", "name may use letters, digits, '-', '_' and '.', got 'a b'" },
        { "device", "device: auto", "device: tpu", "device must be auto, cpu, cuda or cuda:N, got 'tpu'" },
        { "max_failures", "max_failures: 2", "max_failures: 0", "max_failures must be >= 1, got 0" },
        { "target classes", "classes: [5,6,7,8,9]", "classes: [5,5,7,8,9]", "target.classes: lists class 5 twice" },
        { "validation split", "classes: [5,6,7,8,9] }", "classes: [5,6,7,8,9], validation_per_class: 0 }", "validation_per_class must be >= 1, got 0" },
        { "pretraining epochs", "epochs: 3,", "epochs: 0,", "epochs must be >= 1, got 0" },
        { "pretraining rate", "lr: 1e-3", "lr: -1", "must be > 0, got -1" },
        { "pretraining optimizer", "seed: 0 }", "seed: 0, optimizer: rmsprop }", "optimizer must be one of adam, adamw, sgd, got 'rmsprop'" },
        { "optimizer", "optimizer: adam }", "optimizer: lbfgs }", "optimizer must be one of adam, adamw, sgd, got 'lbfgs'" },
        { "weight decay", "optimizer: adam }", "optimizer: adam, weight_decay: -0.5 }", "weight_decay must be >= 0, got -0.5" },
        { "momentum", "optimizer: adam }", "optimizer: adam, momentum: 1 }", "momentum must be in [0, 1), got 1" },
        { "dropout", "optimizer: adam }", "optimizer: adam, dropout: 1 }", "dropout must be in [0, 1), got 1" },
        { "head", "optimizer: adam }", "optimizer: adam, head: conv }", "head must be one of linear, mlp, got 'conv'" },
        { "epochs", "epochs: 5,", "epochs: 0,", "epochs must be >= 1, got 0" },
        { "freeze depth", "freeze_depth: [0, 2, 4]", "freeze_depth: [0, 2, 9]", "freeze_depth 9 is outside 0..4 (convnet4 has 4 stages)" },
        { "dataset size", "dataset_size: [10, 100, 1000]", "dataset_size: [10, 100, 6000]", "dataset_size 6000 is more than any class holds" },
        { "early stop rungs", "seeds: [1, 2, 3]", "seeds: [1, 2, 3]\n  early_stop: { type: asha, grace_epochs: 5, reduction_factor: 3 }", "early_stop.grace_epochs 5 leaves no rung below max_epochs 5" },
        { "early stop factor", "seeds: [1, 2, 3]", "seeds: [1, 2, 3]\n  early_stop: { type: asha, grace_epochs: 1, reduction_factor: 1 }", "early_stop.reduction_factor must be >= 2, got 1" },
        { "early stop type", "seeds: [1, 2, 3]", "seeds: [1, 2, 3]\n  early_stop: { type: hyperband, grace_epochs: 1 }", "early_stop.type must be one of asha, patience, got 'hyperband'" },
    };

    [Theory]
    [MemberData(nameof(BrokenBothWays))]
    public void A_file_the_validator_refuses_is_refused_by_the_api_in_the_same_words(string what, string line, string broken, string rule)
    {
        Assert.Contains(line, SweepText.Example);
        var fileErrors = SweepText.Errors(SweepText.Example.Replace(line, broken, StringComparison.Ordinal));
        Assert.True(fileErrors.Any(e => e.Message.Contains(rule, StringComparison.Ordinal)), $"{what}: the file said {string.Join("; ", fileErrors.Select(e => e.Message))}");
        var api = SubmittedSweepRules.Problems(Broken(what));
        Assert.True(api.Any(p => p.Contains(rule, StringComparison.Ordinal)), $"{what}: the API said {string.Join("; ", api)}");
    }

    /// <summary>The request a client would send for the broken file: the valid one with the same setting broken.</summary>
    static SweepRequest Broken(string what)
    {
        TrialSpec[] Each(Func<TrialSpec, TrialSpec> change) => Valid.Trials.Select(change).ToArray();
        TrialSpec[] Pretrain(Func<PretrainSpec, PretrainSpec> change) => Each(t => t.Pretrain == null ? t : t with { Pretrain = change(t.Pretrain) });
        return what switch
        {
            "name" => Valid with { Name = "a b" },
            "device" => Valid with { Device = "tpu" },
            "max_failures" => Valid with { MaxFailures = 0 },
            "target classes" => Valid with { Trials = Each(t => t with { TargetClasses = [5, 5, 7, 8, 9] }) },
            "validation split" => Valid with { Trials = Each(t => t with { ValidationPerClass = 0 }) },
            "pretraining epochs" => Valid with { Trials = Pretrain(p => p with { Epochs = 0 }) },
            "pretraining rate" => Valid with { Trials = Pretrain(p => p with { LearningRate = -1 }) },
            "pretraining optimizer" => Valid with { Trials = Pretrain(p => p with { Optimizer = "rmsprop" }) },
            "optimizer" => Valid with { Trials = Each(t => t with { Optimizer = "lbfgs" }) },
            "weight decay" => Valid with { Trials = Each(t => t with { WeightDecay = -0.5 }) },
            "momentum" => Valid with { Trials = Each(t => t with { Momentum = 1 }) },
            "dropout" => Valid with { Trials = Each(t => t with { Dropout = 1 }) },
            "head" => Valid with { Trials = Each(t => t with { Head = "conv" }) },
            "epochs" => Valid with { Trials = Each(t => t with { Epochs = 0 }) },
            "freeze depth" => Valid with { Trials = Each(t => t with { FreezeDepth = 9 }) },
            "dataset size" => Valid with { Trials = Each(t => t with { DatasetSize = 6000 }) },
            "early stop rungs" => Valid with { EarlyStop = new EarlyStopSpec("asha", 5, 3, 5) },
            "early stop factor" => Valid with { EarlyStop = new EarlyStopSpec("asha", 1, 1, 5) },
            "early stop type" => Valid with { EarlyStop = new EarlyStopSpec("hyperband", 1, 3, 5) },
            _ => throw new ArgumentException(what),
        };
    }

    [Theory]
    [InlineData(4000, "resnet18", "image_size must be 0 (the model's own) or 8..1024, got 4000")]
    [InlineData(4, "resnet18", "image_size must be 0 (the model's own) or 8..1024, got 4")]
    [InlineData(32, "convnet4", "image_size must be 28 for convnet4")]
    public void An_image_size_the_validator_refuses_is_refused_by_the_api_in_the_same_words(int size, string model, string rule)
    {
        string folder = ScratchFolders.New("images");
        foreach (string name in new[] { "cats", "dogs" })
            foreach (string split in new[] { "train", "test" })
            {
                Directory.CreateDirectory(Path.Combine(folder, split, name));
                for (int i = 0; i < 4; i++) File.WriteAllBytes(Path.Combine(folder, split, name, $"{i}.png"), [1, 2, (byte)i]);
            }
        string yaml = $$"""
            name: sizes
            base: { model: {{model}} }
            target: { dataset: { type: image-folder, path: {{folder}}, image_size: {{size}} }, validation_per_class: 1 }
            sweep: { parameters: { initialization: [scratch] } }
            """;
        Assert.Contains(SweepText.Errors(yaml), e => e.Message.Contains(rule, StringComparison.Ordinal));
        var trial = Valid.Trials.First(t => t.Initialization == Initialization.Scratch) with
        {
            Model = model, ImageSize = size, TargetDataset = "image-folder:0123456789abcdef", TargetClasses = [0, 1], DataArchiveSha256 = new string('a', 64),
        };
        Assert.Contains(Problems(trial), p => p.Contains(rule, StringComparison.Ordinal));
        Assert.Empty(Problems(trial with { ImageSize = model == "convnet4" ? 28 : 64 }));
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
