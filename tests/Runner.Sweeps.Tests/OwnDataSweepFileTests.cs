namespace Runner.Sweeps.Tests;

/// <summary>Sweep files that name the user's own images (image-folder), checkpoint (base.weights) and fine-tuning strategy.</summary>
public class OwnDataSweepFileTests
{
    /// <summary>A folder in the ImageFolder layout (the sweep layer reads names and sizes, so the bytes need not decode).</summary>
    static string Folder(params (string Class, int Train, int Test)[] classes)
    {
        string root = ScratchFolders.New("images");
        foreach (var (name, train, test) in classes)
            foreach (var (split, count) in new[] { ("train", train), ("test", test) })
            {
                Directory.CreateDirectory(Path.Combine(root, split, name));
                // Validation reads no pixels, only a file's first bytes: a PNG signature is enough.
                for (int i = 0; i < count; i++) File.WriteAllBytes(Path.Combine(root, split, name, $"{i}.png"), [.. PngSignature, (byte)i]);
            }
        return root;
    }

    static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    static string Weights()
    {
        string path = Path.Combine(ScratchFolders.New("weights"), "base.pt");
        File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        return path;
    }

    static string Yaml(string folder, string weights, string extraTarget = "", string parameters = "strategy: [feature-extraction, fine-tune, gradual-unfreeze]") => $$"""
        name: own
        base: { model: resnet18, weights: {{weights}} }
        target:
          dataset: { type: image-folder, path: {{folder}}, image_size: 32 }
          validation_per_class: 2
        {{extraTarget}}
        train: { epochs: 3, unfreeze_every: 2 }
        sweep:
          parameters:
            {{parameters}}
            freeze_depth: [3, 5]
          seeds: [1]
        """;

    [Fact]
    public void A_model_that_needs_larger_images_is_refused_for_fashion_mnist_and_for_small_image_sizes()
    {
        var errors = SweepText.Errors(SweepText.Example.Replace("model: convnet4", "model: vgg16").Replace("freeze_depth: [0, 2, 4]", "freeze_depth: [0, 6]"));
        Assert.Contains(errors, e => e.Message.StartsWith("target.dataset: vgg16 needs images of at least 32 px and fashion-mnist's are 28 px; use an image folder", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.StartsWith("base.pretrain: vgg16 needs images of at least 32 px", StringComparison.Ordinal));

        string folder = Folder(("cats", 10, 3), ("dogs", 12, 3));
        var small = SweepText.Errors(Yaml(folder, Weights()).Replace("resnet18", "inception_v3").Replace("freeze_depth: [3, 5]", "freeze_depth: [3]"));
        Assert.Contains(small, e => e.Message == "target.dataset.image_size must be at least 75 for inception_v3 (its pooling stages leave nothing of smaller images), got 32");
        var fits = SweepText.Parse(Yaml(folder, Weights()).Replace("resnet18", "vgg19_bn").Replace("freeze_depth: [3, 5]", "freeze_depth: [6]"));
        Assert.Equal(("vgg19_bn", 32), (fits.Base.Model, SweepExpander.Expand(fits)[0].ImageSize));
    }

    [Fact]
    public void A_torchscript_backbone_needs_a_torchscript_file_and_takes_stages_that_freeze_depth_counts()
    {
        string folder = Folder(("cats", 10, 3), ("dogs", 12, 3));
        string dir = ScratchFolders.New("scripts");
        string script = Path.Combine(dir, "backbone.pt"), stateDict = Path.Combine(dir, "state.pt"), text = Path.Combine(dir, "notes.pt");
        using (var zip = System.IO.Compression.ZipFile.Open(script, System.IO.Compression.ZipArchiveMode.Create))
            zip.CreateEntry("backbone/code/__torch__/model.py").Open().Dispose();
        using (var zip = System.IO.Compression.ZipFile.Open(stateDict, System.IO.Compression.ZipArchiveMode.Create))
            zip.CreateEntry("archive/data.pkl").Open().Dispose();
        File.WriteAllText(text, "not a zip");
        string Yaml(string weights, string stages = "", string parameters = "freeze_depth: [0, 2]") => $$"""
            name: scripted
            base: { model: torchscript, weights: {{weights}} {{stages}} }
            target: { dataset: { type: image-folder, path: {{folder}} }, validation_per_class: 2 }
            sweep: { parameters: { {{parameters}} } }
            """;

        var d = SweepText.Parse(Yaml(script, ", stages: [conv_proj, 'blocks.0-3']"));
        var trials = SweepExpander.Expand(d);
        Assert.Equal(new[] { "conv_proj", "blocks.0-3" }, trials[0].BackboneStages);
        Assert.Null(trials[1].FrozenFeaturesKey);   // a program runs whole: no frozen-prefix cache
        Assert.NotEqual(trials[0].Id, SweepExpander.Expand(SweepText.Parse(Yaml(script)))[0].Id);

        Assert.Contains(SweepText.Errors(Yaml(stateDict)), e => e.Message.StartsWith("base.weights: state.pt: it is a zip without TorchScript code", StringComparison.Ordinal));
        Assert.Contains(SweepText.Errors(Yaml(text)), e => e.Message.StartsWith("base.weights: notes.pt: it is not a TorchScript archive", StringComparison.Ordinal));
        Assert.Contains(SweepText.Errors(Yaml(script, ", stages: [conv_proj]")), e => e.Message == "freeze_depth 2 is outside 0..1 (base.stages lists 1)");
        Assert.Contains(SweepText.Errors(Yaml(script, ", stages: ['blocks.3-0', '2x']")), e => e.Message == "base.stages: 'blocks.3-0': a range runs from the smaller number to the larger");
        Assert.Contains(SweepText.Errors(Yaml(script, "", "initialization: [scratch]")), e => e.Message.StartsWith("initialization scratch needs a model Runner can initialize", StringComparison.Ordinal));
        Assert.Contains(SweepText.Errors(Yaml(script, ", stages: [a]").Replace("model: torchscript", "model: resnet18")),
            e => e.Message.StartsWith("base.stages is for model torchscript", StringComparison.Ordinal));
    }

    /// <summary>Sources of a remote client that has uploaded only what <paramref name="uploaded"/> maps (written path → local copy).</summary>
    sealed class Uploaded(Dictionary<string, string> uploaded) : SweepFileSources
    {
        public override string? Locate(string written, SourceKind kind) => uploaded.GetValueOrDefault(written);
        public override string ResolveDataFolder(string written) => written;
    }

    [Fact]
    public void Files_a_remote_client_has_not_uploaded_are_requests_and_its_uploads_give_the_same_trials()
    {
        string folder = Folder(("cats", 10, 3), ("dogs", 12, 3)), weights = Weights();
        string yaml = Yaml("images", "weights/base.pt") + "\nresources: { device: cpu, bogus: 1 }";
        // A real mistake beside the missing files: the mistake is a problem; the files are requests for uploads.
        var first = Assert.Throws<SweepFileException>(() => SweepFile.Parse(yaml, "remote.yaml", new Uploaded(new())));
        Assert.Equal(new[] { ("images", SourceKind.ImageFolder), ("weights/base.pt", SourceKind.WeightFile) },
            first.Errors.Where(e => e.Upload != null).Select(e => (e.Upload!.Path, e.Upload.Kind)).OrderBy(u => u.Path));
        Assert.Contains(first.Errors, e => e.Upload == null && e.Message.Contains("bogus"));
        Assert.Equal("image-folder", first.Errors.First(e => e.Upload?.Kind == SourceKind.ImageFolder).Upload!.KindName);

        var remote = SweepFile.Parse(Yaml("images", "weights/base.pt"), "remote.yaml", new Uploaded(new() { ["images"] = folder, ["weights/base.pt"] = weights }));
        Assert.Equal(SweepExpander.Expand(SweepText.Parse(Yaml(folder, weights))).Select(t => t.Id), SweepExpander.Expand(remote).Select(t => t.Id));
    }

    [Fact]
    public void An_image_folder_and_a_weight_file_become_trials_that_carry_their_paths_and_fingerprints()
    {
        string folder = Folder(("cats", 10, 3), ("dogs", 12, 3)), weights = Weights();
        var d = SweepText.Parse(Yaml(folder, weights));
        Assert.Equal(new[] { "cats", "dogs" }, d.Target.Folder!.Layout.ClassNames);
        Assert.Equal(new[] { 0, 1 }, d.Target.Classes);
        var trials = SweepExpander.Expand(d);
        Assert.Equal(6, trials.Count);
        var t = trials[0];
        // Unswept, dataset_size is the largest class's (dogs: 12 - 2 validation images); cats use the 8 they have.
        Assert.Equal((folder, weights, 32, 10), (t.DataPath, t.WeightsPath, t.ImageSize, t.DatasetSize));
        Assert.Equal("039058c6f2c0cb49", t.WeightsSha256![..16]);
        Assert.StartsWith("image-folder:", t.TargetDataset);
        Assert.Equal(new[] { Strategies.FeatureExtraction, Strategies.FeatureExtraction, Strategies.FineTune, Strategies.FineTune, Strategies.GradualUnfreeze, Strategies.GradualUnfreeze },
            trials.Select(x => x.StrategyName));
        Assert.All(trials, x => Assert.Equal(2, x.UnfreezeEvery));

        // The identity follows the content, not the place: the same files elsewhere give the same ids.
        string copy = ScratchFolders.New("images-copy");
        foreach (string f in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(copy, Path.GetRelativePath(folder, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        Assert.Equal(trials.Select(x => x.Id), SweepExpander.Expand(SweepText.Parse(Yaml(copy, weights))).Select(x => x.Id));
        File.WriteAllBytes(weights, new byte[] { 9 });
        Assert.Empty(trials.Select(x => x.Id).Intersect(SweepExpander.Expand(SweepText.Parse(Yaml(folder, weights))).Select(x => x.Id)));
    }

    [Fact]
    public void Classes_of_a_folder_are_chosen_by_folder_name_and_sizes_are_checked_against_the_largest()
    {
        string folder = Folder(("ants", 5, 1), ("bees", 9, 1), ("wasps", 9, 1));
        var d = SweepText.Parse(Yaml(folder, Weights(), "  classes: [bees, wasps]"));
        Assert.Equal(new[] { 1, 2 }, d.Target.Classes);
        var errors = SweepText.Errors(Yaml(folder, Weights(), "  classes: [bees, hornets]", "dataset_size: [3, 20]"));
        Assert.Contains(errors, e => e.Message == $"{folder} has no class 'hornets' (classes are 0..2 or names such as 'ants')");
        var tooBig = SweepText.Errors(Yaml(folder, Weights(), "", "dataset_size: [3, 20]"));
        // Bees and wasps keep 7 each after 2 validation images; the ants' 3 only make a warning.
        Assert.Contains(tooBig, e => e.Message == "dataset_size 20 is more than any class holds: the largest has 7 training examples left after the validation split (dataset_size: all takes every image)");
    }

    [Fact]
    public void Missing_files_and_conflicting_settings_are_reported_at_their_position()
    {
        string folder = Folder(("a", 4, 1), ("b", 4, 1));
        var noWeights = SweepText.Errors(Yaml(folder, "/nowhere/resnet18.pt"));
        Assert.Contains(noWeights, e => e is { Line: 2, Column: 35 } && e.Message == "base.weights: cannot read /nowhere/resnet18.pt: no such file");
        var badType = SweepText.Errors(Yaml(folder, "/tmp/model.onnx"));
        Assert.Contains(badType, e => e.Message.StartsWith("base.weights: 'model.onnx' is not a weight file Runner reads"));
        var noFolder = SweepText.Errors(Yaml("/nowhere/photos", Weights()));
        Assert.Contains(noFolder, e => e is { Line: 4 } && e.Message == "/nowhere/photos: no such folder");
        var both = SweepText.Errors(Yaml(folder, Weights()).Replace("weights:", "pretrain: { classes: [0, 1] }, weights:"));
        Assert.Contains(both, e => e.Message == "base.weights and base.pretrain are two ways to get a pretrained base: give one");
        var badStrategy = SweepText.Errors(Yaml(folder, Weights(), parameters: "strategy: [fine-tuning]"));
        Assert.Contains(badStrategy, e => e.Message.Contains("did you mean 'fine-tune'?"));
        var badDropout = SweepText.Errors(Yaml(folder, Weights(), parameters: "dropout: [0.2, 1.5]"));
        Assert.Contains(badDropout, e => e.Message == "dropout must be in [0, 1), got 1.5");
    }

    [Fact]
    public void Strategy_settings_enter_the_trial_id_only_where_they_change_the_result()
    {
        var d = SweepText.Parse(SweepText.Example);
        var plain = SweepExpander.Expand(d)[0];
        Assert.Equal(plain.Id, (plain with { BaseLrFactor = 0.5, UnfreezeEvery = 3 }).Id);
        Assert.NotEqual(plain.Id, (plain with { Strategy = Strategies.FineTune, FreezeDepth = 2 }).Id);
        var fineTune = plain with { Strategy = Strategies.FineTune, FreezeDepth = 2 };
        Assert.NotEqual(fineTune.Id, (fineTune with { BaseLrFactor = 0.5 }).Id);
        Assert.NotEqual(plain.Id, (plain with { Head = "mlp" }).Id);
        Assert.NotEqual(plain.Id, (plain with { Dropout = 0.1 }).Id);
        // Only feature extraction on unaugmented images can train on cached frozen-prefix features.
        var frozen = plain with { FreezeDepth = 2 };
        Assert.NotNull(frozen.FrozenFeaturesKey);
        Assert.Null((frozen with { Augment = true }).FrozenFeaturesKey);
        Assert.Null((frozen with { Strategy = Strategies.FineTune }).FrozenFeaturesKey);
        Assert.Null((frozen with { Strategy = Strategies.GradualUnfreeze }).FrozenFeaturesKey);
        Assert.NotEqual(frozen.FrozenFeaturesKey, (frozen with { FreezeDepth = 3 }).FrozenFeaturesKey);
        // Paths are where to read, not what is read.
        Assert.Equal(plain.Id, (plain with { DataPath = "/elsewhere", WeightsPath = "/other.pt" }).Id);
    }

    [Fact]
    public void Uneven_classes_warn_naming_the_short_ones_all_takes_every_image_and_only_what_no_class_holds_is_refused()
    {
        // Validation takes 2 per class first: cats keep 8 to train on, dogs 28.
        string folder = Folder(("cats", 10, 3), ("dogs", 30, 3));
        string weights = Weights();
        var uneven = SweepText.Parse(Yaml(folder, weights, parameters: "dataset_size: [5, 20, all]"));
        var warning = Assert.Single(uneven.Warnings);
        Assert.Equal("dataset_size 20: 1 of 2 classes have fewer training images: 'cats' (8); they train on all they have (each trial records how many per class)", warning.Message);
        Assert.Equal(new[] { 5, 20, SweepParameters.AllImages }, SweepExpander.Expand(uneven).Select(t => t.DatasetSize).Distinct());
        Assert.Contains("all/class", SweepExpander.Expand(uneven).Last().Describe());

        // Unswept, dataset_size is the largest class's: every class uses what it has, and the file says so.
        var unswept = SweepText.Parse(Yaml(folder, weights, parameters: "learning_rate: [1e-3]"));
        Assert.Equal(28, SweepExpander.Expand(unswept)[0].DatasetSize);
        Assert.StartsWith("the default dataset_size (the largest class's): 1 of 2 classes", Assert.Single(unswept.Warnings).Message);

        var tooMany = SweepText.Errors(Yaml(folder, weights, parameters: "dataset_size: [29]"));
        Assert.Contains(tooMany, e => e.Message == "dataset_size 29 is more than any class holds: the largest has 28 training examples left after the validation split (dataset_size: all takes every image)");
        // Even data warns of nothing.
        Assert.Empty(SweepText.Parse(Yaml(Folder(("cats", 10, 3), ("dogs", 10, 3)), weights, parameters: "dataset_size: [8]")).Warnings);
    }

    [Fact]
    public void A_list_of_labelled_files_is_target_data_of_type_image_list()
    {
        string folder = Folder(("cats", 6, 2), ("dogs", 6, 2));
        string list = Path.Combine(folder, "labels.csv");
        File.WriteAllLines(list, Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories).Order()
            .Select(f => Path.GetRelativePath(folder, f)).Select(r => $"{r},{r.Split('/')[1]},{r.Split('/')[0]}").Prepend("path,label,split"));
        string yaml = Yaml(list, Weights()).Replace("type: image-folder", "type: image-list");
        var trial = SweepExpander.Expand(SweepText.Parse(yaml))[0];
        Assert.Equal(list, trial.DataPath);
        Assert.StartsWith("image-folder:", trial.TargetDataset);

        Assert.Contains(SweepText.Errors(Yaml(list, Weights())), e => e.Message == $"target.dataset: '{list}' is a list of images: use type: image-list");
        Assert.Contains(SweepText.Errors(Yaml(folder, Weights()).Replace("type: image-folder", "type: image-list")),
            e => e.Message == $"target.dataset: type image-list takes a list file (.csv or .jsonl), not '{folder}'");
        File.AppendAllLines(list, new[] { "train/cats/missing.png,cats,train" });
        Assert.Contains(SweepText.Errors(yaml), e => e.Message == $"{list}:18: train/cats/missing.png: no such file");
    }

    [Fact]
    public void Files_that_are_not_images_are_refused_unless_on_bad_image_skip_which_warns_and_changes_the_trial_id()
    {
        string folder = Folder(("cats", 6, 2), ("dogs", 6, 2));
        string notImage = Path.Combine(folder, "train", "dogs", "notes.png");
        File.WriteAllText(notImage, "a text file with the wrong name");
        string weights = Weights();
        var refused = SweepText.Errors(Yaml(folder, weights));
        Assert.Contains(refused, e => e.Message == $"{notImage}: not a PNG or JPEG image (its first bytes are neither signature) (on_bad_image: skip leaves such files out)");

        string skipping = Yaml(folder, weights).Replace("image_size: 32 }", "image_size: 32, on_bad_image: skip }");
        var definition = SweepText.Parse(skipping);
        Assert.Contains(definition.Warnings, w => w.Message.StartsWith("1 file(s) are not readable images and are skipped (on_bad_image: skip): " + notImage, StringComparison.Ordinal));
        File.Delete(notImage);
        var clean = SweepExpander.Expand(SweepText.Parse(Yaml(folder, weights)))[0];
        Assert.True(SweepExpander.Expand(definition)[0].SkipBadImages);
        Assert.False(clean.SkipBadImages);
    }

    [Fact]
    public void Transforms_take_torchvisions_defaults_enter_the_trial_id_and_only_random_ones_forgo_cached_features()
    {
        string folder = Folder(("cats", 6, 2), ("dogs", 6, 2));
        string weights = Weights();
        string With(string transforms) => Yaml(folder, weights, parameters: "learning_rate: [1e-3]").Replace("image_size: 32 }", $"image_size: 32, transforms: {transforms} }}");
        var defaults = SweepExpander.Expand(SweepText.Parse(With("{}")))[0].Transforms!;
        // 32 / 0.875 = 36.6: torchvision's Resize(256) + CenterCrop(224) ratio.
        Assert.Equal(new TransformSpec(37, "random-resized", 0.08, 1.0, 0.75, 4.0 / 3, true, 0), defaults);

        var set = SweepExpander.Expand(SweepText.Parse(With("{ resize: 40, scale: [0.5, 1], color_jitter: 0.2, mean: [0.5, 0.5, 0.5] }")))[0];
        Assert.Equal((40, 0.5, 0.2, 0.5f), (set.Transforms!.Resize, set.Transforms.ScaleMin, set.Transforms.ColorJitter, set.Transforms.Mean![0]));
        var none = SweepExpander.Expand(SweepText.Parse(Yaml(folder, weights, parameters: "learning_rate: [1e-3]")))[0];
        Assert.NotEqual(none.Id, set.Id);

        // freeze_depth 3 of resnet18 reads cached features only when training draws nothing at random.
        var deterministic = SweepExpander.Expand(SweepText.Parse(With("{ train_crop: center, flip: false }"))).First(t => t.FreezeDepth == 3);
        Assert.NotNull(deterministic.FrozenFeaturesKey);
        Assert.Null(SweepExpander.Expand(SweepText.Parse(With("{}"))).First(t => t.FreezeDepth == 3).FrozenFeaturesKey);

        var errors = SweepText.Errors(With("{ resize: 30, scale: [0.5, 2], ratio: [1], mean: [0.5], train_crop: random }"));
        Assert.Contains(errors, e => e.Message == "target.dataset.transforms.train_crop must be one of random-resized, center, got 'random'");
        Assert.Contains(errors, e => e.Message == "target.dataset.transforms.ratio takes two numbers, [min, max]");
        var ranges = SweepText.Errors(With("{ resize: 30, scale: [0.5, 2], mean: [0.5] }"));
        Assert.Contains(ranges, e => e.Message == "target.dataset.transforms.resize 30 is smaller than image_size 32: the center crop would not fit");
        Assert.Contains(ranges, e => e.Message == "target.dataset.transforms.scale must be [min, max] with 0 < min <= max <= 1, got [0.5, 2]");
        Assert.Contains(ranges, e => e.Message == "target.dataset.transforms.mean needs 3 value(s), one per channel of the model's input, got 1");
        Assert.Contains(SweepText.Errors(With("{}").Replace("transforms:", "augment: true, transforms:")),
            e => e.Message == "target.dataset: augment (pad-and-crop, flip) and transforms are two ways to augment: give one");
    }

    [Theory]
    [InlineData(Strategies.FeatureExtraction, 2, 1, new[] { 0.0, 0, 1, 1 })]
    [InlineData(Strategies.FineTune, 2, 1, new[] { 0.1, 0.1, 1, 1 })]
    [InlineData(Strategies.GradualUnfreeze, 0, 1, new[] { 0.0, 0, 0, 0 })]
    [InlineData(Strategies.GradualUnfreeze, 0, 2, new[] { 0.0, 0, 0, 1 })]
    [InlineData(Strategies.GradualUnfreeze, 0, 4, new[] { 0.0, 1, 1, 1 })]
    [InlineData(Strategies.GradualUnfreeze, 0, 5, new[] { 1.0, 1, 1, 1 })]
    [InlineData(Strategies.GradualUnfreeze, 0, 9, new[] { 1.0, 1, 1, 1 })]
    [InlineData(Strategies.GradualUnfreeze, 3, 9, new[] { 0.0, 0, 0, 1 })]
    public void Stage_rates_per_strategy_and_epoch(string strategy, int depth, int epoch, double[] expected) =>
        Assert.Equal(expected, Strategies.StageRates(strategy, 4, depth, 1.0, 0.1, 1, epoch));
}
