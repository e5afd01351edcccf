using Runner.Sweeps.Search;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Runner.Sweeps;

/// <summary>
/// Tells the validator how many training examples per class the target data holds (the smallest class), given the
/// dataset name and the data folder the file names, or null when that is not known yet.
/// </summary>
public delegate int? TrainPerClassLookup(string dataset, string? dataDir);

/// <summary>Loads and validates sweep files (YAML). Documented in docs/sweep-file.md.</summary>
public static class SweepFile
{
    static readonly string[] TopKeys = { "name", "base", "target", "train", "sweep", "resources" };
    static readonly string[] BaseKeys = { "model", "pretrain", "weights", "stages" };
    static readonly string[] PretrainKeys = { "dataset", "classes", "epochs", "lr", "seed", "batch_size", "optimizer" };
    static readonly string[] TargetKeys = { "dataset", "classes", "data", "validation_per_class" };
    static readonly string[] FolderKeys = { "type", "path", "image_size", "augment", "on_bad_image", "transforms" };
    static readonly string[] TransformKeys = { "resize", "train_crop", "scale", "ratio", "flip", "color_jitter", "mean", "std" };
    public static readonly string[] WeightExtensions = { ".pt", ".pth", ".bin", ".safetensors", ".dat" };
    static readonly string[] TrainKeys = { "epochs", "batch_size", "optimizer", "learning_rate", "weight_decay", "momentum", "strategy", "base_lr_factor", "unfreeze_every", "head", "dropout",
        "select", "lr_schedule", "warmup_epochs", "lr_milestones", "lr_gamma", "label_smoothing", "grad_clip", "nesterov", "precision" };
    static readonly string[] SweepKeys = { "method", "samples", "random_seed", "parameters", "seeds", "metric", "max_trials", "early_stop", "keep",
        "trials", "parallelism", "tune", "startup_trials" };
    static readonly string[] TuneKeys = { "per", "budget", "params", "seeds_after" };
    static readonly string[] AshaKeys = { "type", "grace_epochs", "reduction_factor", "max_epochs" };
    static readonly string[] PatienceKeys = { "type", "patience", "min_delta" };
    static readonly string[] MetricKeys = { "name", "goal" };
    static readonly string[] ResourceKeys = { "device", "max_failures", "threads" };
    static readonly string[] DistributionKeys = { "distribution", "min", "max" };
    public const int DefaultMaxTrials = 10_000;
    /// <summary>target.dataset.type: a folder of class folders, or a CSV/JSONL list of labelled files (<see cref="ImageList"/>).</summary>
    public const string ImageFolderType = "image-folder", ImageListType = "image-list";

    /// <summary>Reads a sweep file; throws <see cref="SweepFileException"/> listing every problem.</summary>
    public static SweepDefinition Load(string path, TrainPerClassLookup? capacity = null)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SweepFileException(new[] { new SweepError(path, 1, 1, $"cannot read the file: {e.Message}") });
        }
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path));
        return Parse(text, path, baseDir, capacity) with { SourcePath = Path.GetFullPath(path) };
    }

    /// <summary>Parses sweep YAML. Relative paths (weights, folders) are resolved against <paramref name="baseDir"/>.</summary>
    public static SweepDefinition Parse(string yaml, string fileName, string? baseDir = null, TrainPerClassLookup? capacity = null) =>
        Parse(yaml, fileName, SweepFileSources.Beside(baseDir), capacity);

    /// <summary>Parses sweep YAML whose weight file and image folder are where <paramref name="sources"/> says.</summary>
    public static SweepDefinition Parse(string yaml, string fileName, SweepFileSources sources, TrainPerClassLookup? capacity = null)
    {
        var r = new YamlNodeReader(fileName);
        YamlMappingNode? root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode as YamlMappingNode;
        }
        catch (YamlException e)
        {
            string message = (e.InnerException?.Message ?? e.Message).Split(": ", 2)[^1];
            throw new SweepFileException(new[] { new SweepError(fileName, (int)e.Start.Line, (int)e.Start.Column, $"not valid YAML: {message}") });
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way on some unterminated flow collections at the end of the input.
            int lines = yaml.TrimEnd().Split('\n').Length;
            throw new SweepFileException(new[] { new SweepError(fileName, lines, 1, "not valid YAML: the file ends inside an unclosed '{' or '['") });
        }
        if (root == null)
            throw new SweepFileException(new[] { new SweepError(fileName, 1, 1, "the file is empty or not a mapping of sections (name, base, target, train, sweep)") });

        r.CheckKeys(root, "", TopKeys);
        string? name = r.Text(r.Require(root, "name", ""), "name");
        if (name != null && SweepRules.Name(name) is { } badName) r.Error(YamlNodeReader.Get(root, "name")!, badName);

        var baseMap = r.Mapping(r.Require(root, "base", ""), "base");
        string? model = baseMap == null ? null : r.Choice(r.Require(baseMap, "model", "base"), "base.model", KnownModels.Names);
        var targetMap = r.Mapping(r.Require(root, "target", ""), "target");
        var target = ReadTarget(r, targetMap, sources, model);
        var baseSpec = ReadBase(r, baseMap, model, target, sources);
        var train = ReadTrain(r, r.Mapping(YamlNodeReader.Get(root, "train"), "train"));
        var resources = ReadResources(r, r.Mapping(YamlNodeReader.Get(root, "resources"), "resources"));

        if (target != null)
        {
            target = target with
            {
                TrainPerClass = target.Folder != null
                    ? target.Classes.Select(c => target.Folder.Layout.TrainFiles[c].Count).ToArray()
                    : (capacity ?? DefaultCapacity)(target.Dataset, target.DataDir) is { } even ? target.Classes.Select(_ => even).ToArray() : null,
            };
            var starved = target.ShortOf(1).ToList();
            if (starved.Count > 0 && targetMap != null)
                r.Error(YamlNodeReader.Get(targetMap, "validation_per_class") ?? targetMap,
                    $"validation_per_class {target.ValidationPerClass} leaves no training examples: class {ClassName(target, starved[0].Class)} has {starved[0].Images + target.ValidationPerClass} training images");
        }
        var sweepMap = r.Mapping(r.Require(root, "sweep", ""), "sweep");
        var sweep = ReadSweep(r, sweepMap, baseSpec?.Model ?? "", Math.Max(target?.Capacity ?? int.MaxValue, 1), target?.Classes.Length ?? int.MaxValue);
        if (sweep != null && train != null && r.Mapping(YamlNodeReader.Get(sweepMap, "early_stop"), "sweep.early_stop") is { } stopMap)
            sweep = ReadEarlyStop(r, stopMap, train.Epochs, sweep);

        if (sweep != null && baseMap != null && YamlNodeReader.Get(baseMap, "pretrain") == null && YamlNodeReader.Get(baseMap, "weights") == null
            && UsesPretrained(sweep))
            r.Error(baseMap, "initialization 'pretrained' needs base.pretrain (how to pretrain the base on the source classes) or base.weights (a checkpoint file)");

        if (r.Errors.Count > 0 || name == null || baseSpec == null || target == null || train == null || sweep == null || resources == null)
            throw new SweepFileException(r.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList());

        WarnShortClasses(r, target, sweep, sweepMap, YamlNodeReader.Get(targetMap, "dataset")!);
        var definition = new SweepDefinition(name, baseSpec, target, train, sweep, resources) { Warnings = r.Warnings };
        long count = SweepExpander.GridSize(definition);
        if (count > sweep.MaxTrials)
        {
            var at = YamlNodeReader.KeyNode(sweepMap, "parameters")!;
            throw new SweepFileException(new[] { new SweepError(fileName, (int)at.Start.Line, (int)at.Start.Column,
                $"the sweep expands to {count:N0} trials, more than the cap of {sweep.MaxTrials:N0} (raise sweep.max_trials if you mean it)") });
        }
        // Settings that only make sense together (a schedule and its epochs) are checked on the trials they make,
        // since either may be an axis; each problem once, at the train section.
        // A search's trials are not known yet: those at the corners of its space stand for them.
        var trials = SweepExpander.Corners(definition);
        var combined = trials.SelectMany(SweepRules.Together).Distinct().ToList();
        if (train.Nesterov && trials.All(t => t.Optimizer != "sgd")) combined.Add("train.nesterov applies to optimizer sgd, and no trial uses it");
        if (resources.Device == "cpu" && trials.Any(t => t.PrecisionName == "fp16"))
            combined.Add("precision fp16 needs CUDA (its loss scaling is for GPUs); on resources.device cpu use bf16");
        if (combined.Count > 0)
        {
            YamlNode at = YamlNodeReader.KeyNode(root, "train") ?? YamlNodeReader.KeyNode(root, "sweep")!;
            throw new SweepFileException(combined.Select(p => new SweepError(fileName, (int)at.Start.Line, (int)at.Start.Column, p)).ToList());
        }
        return definition;
    }

    /// <summary>
    /// Uneven classes are not an error: a class with fewer images than a trial's dataset_size trains on all it has (the
    /// trial records how many). Said once per dataset_size value, naming the short classes.
    /// </summary>
    static void WarnShortClasses(YamlNodeReader r, TargetSpec target, SweepSpec sweep, YamlMappingNode? sweepMap, YamlNode datasetNode)
    {
        var axisNode = YamlNodeReader.Get(YamlNodeReader.Get(sweepMap, "parameters") as YamlMappingNode, "dataset_size");
        var axis = sweep.Parameters.FirstOrDefault(p => p.Name == "dataset_size");
        var sizes = axis?.Values?.Cast<int>() ?? new[] { axis == null ? target.Capacity : (int)axis.Distribution!.Max };
        foreach (int size in sizes.Where(s => s != SweepParameters.AllImages))
        {
            var shortClasses = target.ShortOf(size).ToList();
            if (shortClasses.Count == 0) continue;
            string which = string.Join(", ", shortClasses.Take(3).Select(c => $"{ClassName(target, c.Class)} ({c.Images})"))
                + (shortClasses.Count > 3 ? $" and {shortClasses.Count - 3} more" : "");
            string asked = axis == null ? "the default dataset_size (the largest class's)" : $"dataset_size {SweepParameters.Format(size)}";
            r.Warn(axisNode ?? datasetNode, $"{asked}: {shortClasses.Count} of {target.Classes.Length} classes have fewer training images: {which}; they train on all they have (each trial records how many per class)");
        }
    }

    static string ClassName(TargetSpec target, int index) =>
        (target.Folder?.Layout.ClassNames ?? KnownDatasets.Get(target.Dataset)?.ClassNames) is { } names && index < names.Count ? $"'{names[index]}'" : index.ToString();

    static string NotUploaded(string key, string written) => $"{key}: '{written}' is on the client and has not been uploaded yet";

    static int? DefaultCapacity(string dataset, string? dataDir) => KnownDatasets.Get(dataset)?.TrainPerClass;

    static bool UsesPretrained(SweepSpec sweep)
    {
        var init = sweep.Parameters.FirstOrDefault(p => p.Name == "initialization");
        return init?.Values == null || init.Values.Contains(EnumText.Of(Initialization.Pretrained));
    }

    static TargetSpec? ReadTarget(YamlNodeReader r, YamlMappingNode? map, SweepFileSources sources, string? model)
    {
        if (map == null) return null;
        r.CheckKeys(map, "target", TargetKeys);
        var datasetNode = r.Require(map, "dataset", "target");
        ImageFolderSpec? folder = null;
        string? dataset;
        KnownDatasets.DatasetFacts? facts;
        if (datasetNode is YamlMappingNode folderMap)
        {
            folder = ReadImageFolder(r, folderMap, sources, model);
            facts = folder?.Layout.Facts;
            dataset = facts?.Name;
        }
        else
        {
            dataset = r.Choice(datasetNode, "target.dataset", KnownDatasets.All.Select(d => d.Name).ToArray());
            facts = dataset == null ? null : KnownDatasets.Get(dataset);
            if (facts != null && SweepRules.DatasetFits(facts, model) is { } tooSmall) r.Error(datasetNode!, $"target.dataset: {tooSmall}; use an image folder (target.dataset: {{type: image-folder, path: ...}}), resized to the model's size, or another model");
        }
        var classesNode = YamlNodeReader.Get(map, "classes");
        // An image folder's classes default to all of its class folders; a built-in dataset's must be chosen.
        int[]? classes = facts == null ? null
            : folder != null && classesNode == null ? Enumerable.Range(0, facts.ClassNames.Count).ToArray()
            : ReadClasses(r, r.Require(map, "classes", "target"), "target.classes", facts, folder?.Layout.Source);
        var validationNode = YamlNodeReader.Get(map, "validation_per_class");
        int validation = r.Integer(validationNode, "target.validation_per_class", 1) ?? (folder != null ? 10 : 100);
        // A folder with val/ brings its validation split: every val/ image of the target classes validates; none is carved.
        if (folder?.Layout.ValidationFiles != null)
        {
            if (validationNode != null) r.Error(validationNode, $"target.validation_per_class: {folder.Layout.Source} has its own validation split (val/), whose images validate; remove validation_per_class");
            validation = 0;
        }
        string? data = r.Text(YamlNodeReader.Get(map, "data"), "target.data");
        if (data != null && folder != null) r.Error(YamlNodeReader.Get(map, "data")!, "target.data is for built-in datasets; an image folder is named by target.dataset.path");
        if (data != null) data = sources.ResolveDataFolder(data);
        if (dataset == null || classes == null) return null;
        if (SweepRules.Classes(classes, facts!.ClassNames.Count) is { } badClasses) r.Error(classesNode ?? map, $"target.classes: {badClasses}");
        return new TargetSpec(dataset, classes, validation, data, folder);
    }

    static ImageFolderSpec? ReadImageFolder(YamlNodeReader r, YamlMappingNode map, SweepFileSources sources, string? model)
    {
        r.CheckKeys(map, "target.dataset", FolderKeys);
        var typeNode = r.Require(map, "type", "target.dataset");
        string? type = r.Choice(typeNode, "target.dataset.type", ImageFolderType, ImageListType);
        var pathNode = r.Require(map, "path", "target.dataset");
        string? path = r.Text(pathNode, "target.dataset.path");
        var sizeNode = YamlNodeReader.Get(map, "image_size");
        int? size = r.Integer(sizeNode, "target.dataset.image_size");
        bool augment = r.Boolean(YamlNodeReader.Get(map, "augment"), "target.dataset.augment") ?? false;
        bool skipBad = r.Choice(YamlNodeReader.Get(map, "on_bad_image"), "target.dataset.on_bad_image", "refuse", "skip") == "skip";
        int native = KnownModels.Get(model ?? "")?.InputSize ?? 0;
        if (size != null && SweepRules.ImageSize(size.Value, model) is { } badSize) { r.Error(sizeNode!, $"target.dataset.{badSize}"); size = null; }
        if (size == 0) size = null;
        var transformsNode = YamlNodeReader.Get(map, "transforms");
        var transforms = ReadTransforms(r, r.Mapping(transformsNode, "target.dataset.transforms"), size ?? native, model);
        if (transforms != null && augment)
            r.Error(YamlNodeReader.Get(map, "augment")!, "target.dataset: augment (pad-and-crop, flip) and transforms are two ways to augment: give one");
        if (type == null || path == null) return null;
        if (sources.Locate(path, SourceKind.ImageFolder) is not { } located)
        {
            r.Error(pathNode!, NotUploaded("target.dataset.path", path), new SourceRequest(path, SourceKind.ImageFolder));
            return null;
        }
        if ((type == ImageListType) != ImageList.IsList(path))
        {
            r.Error(typeNode!, type == ImageListType
                ? $"target.dataset: type {ImageListType} takes a list file ({string.Join(" or ", ImageList.Extensions)}), not '{path}'"
                : $"target.dataset: '{path}' is a list of images: use type: {ImageListType}");
            return null;
        }
        try
        {
            var layout = ImageFolderLayout.Open(located);
            var notImages = layout.NonImages().ToList();
            if (notImages.Count > 0 && !skipBad)
            {
                r.Error(pathNode!, $"{notImages[0]} (on_bad_image: skip leaves such files out)");
                return null;
            }
            if (notImages.Count > 0)
                r.Warn(pathNode!, $"{notImages.Count} file(s) are not readable images and are skipped (on_bad_image: skip): {string.Join("; ", notImages.Take(3))}");
            return new ImageFolderSpec(layout, size ?? native, augment, skipBad, transforms);
        }
        catch (Exception e) when (e is ImageFolderException or IOException or UnauthorizedAccessException)
        {
            r.Error(pathNode!, e.Message);
            return null;
        }
    }

    /// <summary>target.dataset.transforms, each setting defaulting to torchvision's (resize: image_size / 0.875).</summary>
    static TransformSpec? ReadTransforms(YamlNodeReader r, YamlMappingNode? map, int imageSize, string? model)
    {
        if (map == null) return null;
        r.CheckKeys(map, "target.dataset.transforms", TransformKeys);
        int errors = r.Errors.Count;
        const string at = "target.dataset.transforms";
        (double, double)? Range(string key)
        {
            if (YamlNodeReader.Get(map, key) is not { } node) return null;
            var values = r.Sequence(node, $"{at}.{key}")?.Children.Select(v => r.Real(v, $"{at}.{key} entry")).ToList();
            if (values == null || values.Any(v => v == null)) return null;
            if (values.Count == 2) return (values[0]!.Value, values[1]!.Value);
            r.Error(node, $"{at}.{key} takes two numbers, [min, max]");
            return null;
        }
        float[]? Floats(string key) => YamlNodeReader.Get(map, key) is { } node
            ? r.Sequence(node, $"{at}.{key}")?.Children.Select(v => (float)(r.Real(v, $"{at}.{key} entry") ?? 0)).ToArray()
            : null;
        var d = new TransformSpec(imageSize > 0 ? TransformSpec.DefaultResize(imageSize) : 0);
        var spec = d with
        {
            Resize = r.Integer(YamlNodeReader.Get(map, "resize"), $"{at}.resize", 1) ?? d.Resize,
            TrainCrop = r.Choice(YamlNodeReader.Get(map, "train_crop"), $"{at}.train_crop", TransformSpec.TrainCrops) ?? d.TrainCrop,
            Flip = r.Boolean(YamlNodeReader.Get(map, "flip"), $"{at}.flip") ?? d.Flip,
            ColorJitter = r.Real(YamlNodeReader.Get(map, "color_jitter"), $"{at}.color_jitter") ?? d.ColorJitter,
            Mean = Floats("mean"),
            Std = Floats("std"),
        };
        if (Range("scale") is var (smin, smax)) spec = spec with { ScaleMin = smin, ScaleMax = smax };
        if (Range("ratio") is var (rmin, rmax)) spec = spec with { RatioMin = rmin, RatioMax = rmax };
        if (r.Errors.Count > errors) return null;
        foreach (string problem in spec.Problems(imageSize, KnownModels.InputChannels(model ?? ""))) r.Error(map, $"target.dataset.{problem}");
        return r.Errors.Count > errors ? null : spec;
    }

    /// <param name="where">how to name the data in messages (an image folder's path), default the dataset's name</param>
    static int[]? ReadClasses(YamlNodeReader r, YamlNode? node, string path, KnownDatasets.DatasetFacts facts, string? where = null)
    {
        string dataset = where ?? facts.Name;
        var seq = r.Sequence(node, path);
        if (seq == null) return null;
        var classes = new List<int>();
        bool ok = true;
        foreach (var item in seq.Children)
        {
            string? token = r.Text(item, $"{path} entry");
            if (token == null) { ok = false; continue; }
            int? index = KnownDatasets.ResolveClass(facts, token);
            if (index == null)
            {
                r.Error(item, $"{dataset} has no class '{token}' (classes are 0..{facts.ClassNames.Count - 1} or names such as '{facts.ClassNames[0]}'){DidYouMean.Hint(token, facts.ClassNames)}");
                ok = false;
            }
            else if (classes.Contains(index.Value)) { r.Error(item, $"{path}: {SweepRules.ClassTwice(index.Value)}"); ok = false; }
            else classes.Add(index.Value);
        }
        return ok ? classes.ToArray() : null;
    }

    static BaseSpec? ReadBase(YamlNodeReader r, YamlMappingNode? map, string? model, TargetSpec? target, SweepFileSources sources)
    {
        if (map == null) return null;
        r.CheckKeys(map, "base", BaseKeys);
        var pre = r.Mapping(YamlNodeReader.Get(map, "pretrain"), "base.pretrain");
        var weights = ReadWeights(r, YamlNodeReader.Get(map, "weights"), sources, model == KnownModels.TorchScript);
        string[]? stages = ReadBackboneStages(r, map, model);
        if (pre != null && YamlNodeReader.Get(map, "weights") != null)
            r.Error(YamlNodeReader.KeyNode(map, "weights")!, "base.weights and base.pretrain are two ways to get a pretrained base: give one");
        PretrainSpec? pretrain = null;
        int[] baseSeeds = Array.Empty<int>();
        if (pre != null)
        {
            r.CheckKeys(pre, "base.pretrain", PretrainKeys);
            string? dataset = YamlNodeReader.Get(pre, "dataset") is { } d
                ? r.Choice(d, "base.pretrain.dataset", KnownDatasets.All.Select(x => x.Name).ToArray())
                : target?.Dataset;
            var classesNode = r.Require(pre, "classes", "base.pretrain");
            int[]? classes = dataset == null || KnownDatasets.Get(dataset) is not { } sourceFacts ? null
                : ReadClasses(r, classesNode, "base.pretrain.classes", sourceFacts);
            if (dataset != null && KnownDatasets.Get(dataset) == null)
                r.Error(pre, "base.pretrain needs a built-in source dataset (base.pretrain.dataset); to start from your own checkpoint use base.weights");
            else if (dataset != null && SweepRules.DatasetFits(KnownDatasets.Get(dataset)!, model) is { } tooSmall)
                r.Error(pre, $"base.pretrain: {tooSmall}; pretrain it yourself and give base.weights, or use another model");
            int epochs = r.Integer(YamlNodeReader.Get(pre, "epochs"), "base.pretrain.epochs", 1) ?? 3;
            double lr = Checked(r, YamlNodeReader.Get(pre, "lr"), "learning_rate", "base.pretrain.lr", r.Real(YamlNodeReader.Get(pre, "lr"), "base.pretrain.lr")) ?? 1e-3;
            // One seed, or a list: one base per seed (a sweep axis; tables pool over it and show the spread between bases).
            var seedNode = YamlNodeReader.Get(pre, "seed");
            int[] seeds = seedNode is YamlSequenceNode
                ? r.Integers(seedNode, "base.pretrain.seed") ?? new[] { 0 }
                : new[] { r.Integer(seedNode, "base.pretrain.seed", 0) ?? 0 };
            int seed = seeds[0];
            baseSeeds = seeds;
            int batch = r.Integer(YamlNodeReader.Get(pre, "batch_size"), "base.pretrain.batch_size", 1) ?? 64;
            string optimizer = r.Choice(YamlNodeReader.Get(pre, "optimizer"), "base.pretrain.optimizer", SweepRules.Choices("optimizer")) ?? "adam";
            if (classes != null && target != null && dataset == target.Dataset)
            {
                var overlap = classes.Intersect(target.Classes).ToArray();
                if (overlap.Length > 0)
                    r.Error(classesNode!, $"source and target classes overlap ({string.Join(", ", overlap)}): the target task must be new to the base model");
            }
            if (dataset != null && classes != null)
                pretrain = new PretrainSpec(dataset, classes, epochs, lr, seed, batch, optimizer);
        }
        return model == null ? null : new BaseSpec(model, pretrain, weights, pretrain != null && baseSeeds.Length > 1 ? baseSeeds : null, stages);
    }

    /// <summary>A TorchScript backbone's file (base.weights, required) and its stages (base.stages, optional); refused for other models.</summary>
    static string[]? ReadBackboneStages(YamlNodeReader r, YamlMappingNode map, string? model)
    {
        var node = YamlNodeReader.Get(map, "stages");
        if (model != KnownModels.TorchScript)
        {
            if (node != null) r.Error(YamlNodeReader.KeyNode(map, "stages")!, "base.stages is for model torchscript: a built-in model's stages are fixed (`runner models`)");
            return null;
        }
        if (YamlNodeReader.Get(map, "weights") == null) r.Error(map, "base.weights: model torchscript needs the TorchScript file (torch.jit.save of your backbone)");
        if (YamlNodeReader.Get(map, "pretrain") != null)
            r.Error(YamlNodeReader.KeyNode(map, "pretrain")!, "base.pretrain: Runner pretrains only the built-in models; a TorchScript backbone comes pretrained in its file");
        if (node == null) return null;
        var entries = r.Sequence(node, "base.stages");
        if (entries == null) return null;
        var stages = new List<string>();
        foreach (var item in entries.Children)
        {
            if (r.Text(item, "base.stages") is not { } text) continue;
            if (BackboneStages.Problem(text) is { } problem) r.Error(item, $"base.stages: {problem}");
            else stages.Add(text);
        }
        if (stages.Count == 0) r.Error(node, "base.stages needs at least one stage");
        return stages.ToArray();
    }

    static WeightsSpec? ReadWeights(YamlNodeReader r, YamlNode? node, SweepFileSources sources, bool torchScript)
    {
        string? written = r.Text(node, "base.weights");
        if (written == null) return null;
        if (!WeightExtensions.Contains(Path.GetExtension(written).ToLowerInvariant()))
        {
            r.Error(node!, $"base.weights: '{Path.GetFileName(written)}' is not a weight file Runner reads ({string.Join(", ", WeightExtensions)})");
            return null;
        }
        if (sources.Locate(written, SourceKind.WeightFile) is not { } path)
        {
            r.Error(node!, NotUploaded("base.weights", written), new SourceRequest(written, SourceKind.WeightFile));
            return null;
        }
        try
        {
            if (torchScript && File.Exists(path) && BackboneStages.NotTorchScript(path) is { } notScript)
            {
                r.Error(node!, $"base.weights: {Path.GetFileName(path)}: {notScript}");
                return null;
            }
            using var stream = File.OpenRead(path);
            return new WeightsSpec(path, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            r.Error(node!, $"base.weights: cannot read {path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}");
            return null;
        }
    }

    /// <summary>
    /// A fixed setting checked by the rule of the sweep parameter it stands for (<paramref name="parameter"/>), the
    /// problem said under the file's key (<paramref name="path"/>); null when absent or refused.
    /// </summary>
    static T? Checked<T>(YamlNodeReader r, YamlNode? node, string parameter, string path, T? value) where T : struct
    {
        if (value == null || SweepParameters.Check(parameter, value.Value, "", int.MaxValue) is not { } problem) return value;
        r.Error(node!, problem.StartsWith(parameter, StringComparison.Ordinal) ? path + problem[parameter.Length..] : $"{path}: {problem}");
        return null;
    }

    static TrainSpec? ReadTrain(YamlNodeReader r, YamlMappingNode? map)
    {
        if (map != null) r.CheckKeys(map, "train", TrainKeys);
        int errors = r.Errors.Count;
        // Every fixed setting here is also a sweep parameter: its rule is that parameter's (SweepParameters.Check).
        int? Whole(string key) => Checked(r, YamlNodeReader.Get(map, key), key, $"train.{key}", r.Integer(YamlNodeReader.Get(map, key), $"train.{key}"));
        double? Real(string key) => Checked(r, YamlNodeReader.Get(map, key), key, $"train.{key}", r.Real(YamlNodeReader.Get(map, key), $"train.{key}"));
        string? Choice(string key) => r.Choice(YamlNodeReader.Get(map, key), $"train.{key}", SweepRules.Choices(key));
        var spec = new TrainSpec(
            Whole("epochs") ?? 5,
            Whole("batch_size") ?? 64,
            Choice("optimizer") ?? "adam",
            Real("learning_rate") ?? 1e-3,
            Real("weight_decay") ?? 0,
            Real("momentum") ?? 0.9,
            Choice("strategy") ?? Strategies.FeatureExtraction,
            Real("base_lr_factor") ?? Strategies.DefaultBaseLrFactor,
            Whole("unfreeze_every") ?? 1,
            Choice("head") ?? "linear",
            Real("dropout") ?? 0,
            r.Choice(YamlNodeReader.Get(map, "select"), "train.select", SweepRules.Selections) ?? "best",
            Choice("lr_schedule") ?? LearningRateSchedule.Constant,
            Whole("warmup_epochs") ?? 0,
            YamlNodeReader.Get(map, "lr_milestones") is { } milestones ? r.Integers(milestones, "train.lr_milestones") : null,
            Real("lr_gamma") ?? LearningRateSchedule.DefaultGamma,
            Real("label_smoothing") ?? 0,
            Real("grad_clip") ?? 0,
            r.Boolean(YamlNodeReader.Get(map, "nesterov"), "train.nesterov") ?? false,
            Choice("precision") ?? "fp32");
        return r.Errors.Count == errors ? spec : null;
    }

    static ResourceSpec? ReadResources(YamlNodeReader r, YamlMappingNode? map)
    {
        if (map != null) r.CheckKeys(map, "resources", ResourceKeys);
        var deviceNode = YamlNodeReader.Get(map, "device");
        string device = r.Text(deviceNode, "resources.device") ?? "auto";
        if (SweepRules.Device(device) is { } badDevice) r.Error(deviceNode!, $"resources.{badDevice}");
        return new ResourceSpec(device,
            r.Integer(YamlNodeReader.Get(map, "max_failures"), "resources.max_failures", 1) ?? 2,
            r.Integer(YamlNodeReader.Get(map, "threads"), "resources.threads", 0) ?? 0);
    }

    static SweepSpec? ReadSweep(YamlNodeReader r, YamlMappingNode? map, string model, int capacity, int classes)
    {
        if (map == null) return null;
        r.CheckKeys(map, "sweep", SweepKeys);
        string method = r.Choice(YamlNodeReader.Get(map, "method"), "sweep.method", "grid", "random", SearchPlan.Tpe) ?? "grid";
        var tuneMap = r.Mapping(YamlNodeReader.Get(map, "tune"), "sweep.tune");
        var samplesNode = YamlNodeReader.Get(map, "samples");
        int samples = r.Integer(samplesNode, "sweep.samples", 1) ?? 0;
        if (method == "random" && samplesNode == null && tuneMap == null) r.Error(map, "sweep.method random needs sweep.samples (how many configurations to draw)");
        if (samplesNode != null && (method != "random" || tuneMap != null))
            r.Error(samplesNode, tuneMap != null ? "sweep.samples does not apply with sweep.tune: its budget is tune.budget, per cell" : "sweep.samples only applies to method: random");
        var trialsNode = YamlNodeReader.Get(map, "trials");
        int budget = r.Integer(trialsNode, "sweep.trials", 1) ?? 0;
        if (method == SearchPlan.Tpe && tuneMap == null && trialsNode == null) r.Error(map, "sweep.method tpe needs sweep.trials (how many configurations the sampler proposes)");
        if (trialsNode != null && (method != SearchPlan.Tpe || tuneMap != null))
            r.Error(trialsNode, tuneMap != null ? "sweep.trials does not apply with sweep.tune: its budget is tune.budget, per cell" : "sweep.trials only applies to method: tpe (random search takes sweep.samples)");
        if (tuneMap != null && method == "grid")
            r.Error(tuneMap, "sweep.tune searches each cell with a sampler: set sweep.method to tpe or random");
        bool searched = tuneMap != null || method == SearchPlan.Tpe;
        var parallelismNode = YamlNodeReader.Get(map, "parallelism");
        int parallelism = r.Integer(parallelismNode, "sweep.parallelism", 1) ?? SearchPlan.DefaultParallelism;
        if (parallelismNode != null && !searched) r.Error(parallelismNode, "sweep.parallelism applies to a search (method: tpe, or sweep.tune)");
        var startupNode = YamlNodeReader.Get(map, "startup_trials");
        int startup = r.Integer(startupNode, "sweep.startup_trials", 1) ?? TpeSampler.StartupTrials;
        if (startupNode != null && method != SearchPlan.Tpe) r.Error(startupNode, "sweep.startup_trials applies to method: tpe (its random configurations before the model)");
        int randomSeed = r.Integer(YamlNodeReader.Get(map, "random_seed"), "sweep.random_seed", 0) ?? 0;
        int[] seeds = YamlNodeReader.Get(map, "seeds") is { } seedNode ? r.Integers(seedNode, "sweep.seeds") ?? Array.Empty<int>() : new[] { 0 };
        int maxTrials = r.Integer(YamlNodeReader.Get(map, "max_trials"), "sweep.max_trials", 1) ?? DefaultMaxTrials;

        var metric = Objective.Default;
        if (r.Mapping(YamlNodeReader.Get(map, "metric"), "sweep.metric") is { } metricMap)
        {
            r.CheckKeys(metricMap, "sweep.metric", MetricKeys);
            string? metricName = r.Choice(YamlNodeReader.Get(metricMap, "name"), "sweep.metric.name", Objective.Metrics);
            var goalNode = YamlNodeReader.Get(metricMap, "goal");
            string? goal = r.Choice(goalNode, "sweep.metric.goal", "maximize", "minimize");
            if (metricName != null)
            {
                bool maximize = goal == null ? Objective.MaximizedByNature(metricName) : goal == "maximize";
                if (SweepRules.Objective(metricName, maximize, classes) is { } badObjective) r.Error(goalNode ?? metricMap, $"sweep.{badObjective}");
                metric = new Objective(metricName, maximize);
            }
        }

        var axes = new List<ParameterAxis>();
        var parameters = r.Mapping(r.Require(map, "parameters", "sweep"), "sweep.parameters");
        if (parameters != null && parameters.Children.Count == 0) r.Error(parameters, "sweep.parameters is empty: name at least one parameter to sweep");
        foreach (var pair in parameters?.Children.ToList() ?? new List<KeyValuePair<YamlNode, YamlNode>>())
        {
            var (keyNode, valueNode) = (pair.Key, pair.Value);
            string key = ((YamlScalarNode)keyNode).Value ?? "";
            if (valueNode is YamlMappingNode && tuneMap != null && SweepParameters.Find(key) != null)
            {
                r.Error(valueNode, $"sweep.parameters.{key}: with sweep.tune, sweep.parameters are the cells (lists of values); put ranges in sweep.tune.params");
                continue;
            }
            if (ReadAxis(r, keyNode, valueNode, method, model, capacity, "sweep.parameters") is { } axis) axes.Add(axis);
        }
        string keep = r.Choice(YamlNodeReader.Get(map, "keep"), "sweep.keep", KeptModels.Names) ?? KeptModels.BestPerCell;
        var tune = tuneMap == null ? null : ReadTune(r, tuneMap, parameters, axes, method, model, capacity);
        return new SweepSpec(method, samples, randomSeed, axes, seeds, metric, maxTrials, Keep: keep, Budget: budget, Parallelism: parallelism, Tune: tune, StartupTrials: startup);
    }

    /// <summary>sweep.tune: per (every axis of sweep.parameters), budget per cell, params (the searched space), seeds_after.</summary>
    static TuneSpec? ReadTune(YamlNodeReader r, YamlMappingNode map, YamlMappingNode? parameters, IReadOnlyList<ParameterAxis> axes, string method,
        string model, int capacity)
    {
        r.CheckKeys(map, "sweep.tune", TuneKeys);
        int errors = r.Errors.Count;
        var perNode = r.Require(map, "per", "sweep.tune");
        var per = new List<string>();
        foreach (var item in r.Sequence(perNode, "sweep.tune.per")?.Children ?? Enumerable.Empty<YamlNode>())
        {
            string? name = r.Text(item, "sweep.tune.per entry");
            if (name == null) continue;
            if (YamlNodeReader.Get(parameters, name) == null)
                r.Error(item, $"sweep.tune.per names '{name}', which is not an axis of sweep.parameters{DidYouMean.Hint(name, axes.Select(a => a.Name))}"
                    + (axes.Count == 0 ? "" : $" (axes: {string.Join(", ", axes.Select(a => a.Name))})"));
            else if (per.Contains(name)) r.Error(item, $"sweep.tune.per names '{name}' twice");
            else per.Add(name);
        }
        foreach (var axis in axes.Where(a => perNode != null && !per.Contains(a.Name)))
            r.Error(perNode!, $"sweep.parameters.{axis.Name} is not in sweep.tune.per: every axis of sweep.parameters is a cell of the tuning (move a parameter to tune over into sweep.tune.params)");
        int budget = r.Integer(r.Require(map, "budget", "sweep.tune"), "sweep.tune.budget", 1) ?? 1;
        var seedsNode = r.Require(map, "seeds_after", "sweep.tune");
        int[] seedsAfter = seedsNode == null ? Array.Empty<int>() : r.Integers(seedsNode, "sweep.tune.seeds_after") ?? Array.Empty<int>();
        if (seedsNode != null && seedsAfter.Length == 0 && r.Errors.Count == errors) r.Error(seedsNode, "sweep.tune.seeds_after is empty: name the seeds each cell's winner runs on");
        var space = new List<ParameterAxis>();
        var paramsMap = r.Mapping(r.Require(map, "params", "sweep.tune"), "sweep.tune.params");
        if (paramsMap != null && paramsMap.Children.Count == 0) r.Error(paramsMap, "sweep.tune.params is empty: name at least one parameter to tune");
        foreach (var (keyNode, valueNode) in paramsMap?.Children.Select(kv => (kv.Key, kv.Value)).ToList() ?? new())
        {
            string key = ((YamlScalarNode)keyNode).Value ?? "";
            if (SweepParameters.Find(key) != null && YamlNodeReader.Get(parameters, key) != null)
            {
                r.Error(keyNode, $"sweep.tune.params.{key} is also an axis of sweep.parameters: a parameter is a cell or tuned, not both");
                continue;
            }
            if (ReadAxis(r, keyNode, valueNode, method, model, capacity, "sweep.tune.params") is { } axis) space.Add(axis);
        }
        return r.Errors.Count > errors ? null : new TuneSpec(per.ToArray(), budget, space, seedsAfter);
    }

    /// <summary>sweep.early_stop: ASHA (the coordinator compares trials) or patience (each trial watches its own objective).</summary>
    static SweepSpec ReadEarlyStop(YamlNodeReader r, YamlMappingNode map, int trainEpochs, SweepSpec sweep)
    {
        int errors = r.Errors.Count;
        string? type = r.Choice(r.Require(map, "type", "sweep.early_stop"), "sweep.early_stop.type", "asha", "patience");
        if (type == "patience")
        {
            r.CheckKeys(map, "sweep.early_stop", PatienceKeys);
            int patience = r.Integer(r.Require(map, "patience", "sweep.early_stop"), "sweep.early_stop.patience") ?? 1;
            double minDelta = r.Real(YamlNodeReader.Get(map, "min_delta"), "sweep.early_stop.min_delta") ?? 0;
            foreach (string problem in SweepRules.Patience(patience, minDelta)) r.Error(map, $"sweep.{problem}");
            return r.Errors.Count > errors ? sweep : sweep with { Patience = new PatienceSpec(patience, minDelta) };
        }
        var asha = ReadAsha(r, map, trainEpochs);
        return type == null ? sweep : sweep with { EarlyStop = asha };
    }

    static EarlyStopSpec? ReadAsha(YamlNodeReader r, YamlMappingNode map, int trainEpochs)
    {
        r.CheckKeys(map, "sweep.early_stop", AshaKeys);
        int errors = r.Errors.Count;
        const string type = "asha";   // or a type already refused: its settings are still checked
        int grace = r.Integer(YamlNodeReader.Get(map, "grace_epochs"), "sweep.early_stop.grace_epochs") ?? 1;
        int factor = r.Integer(YamlNodeReader.Get(map, "reduction_factor"), "sweep.early_stop.reduction_factor") ?? 3;
        var maxNode = YamlNodeReader.Get(map, "max_epochs");
        int max = r.Integer(maxNode, "sweep.early_stop.max_epochs") ?? trainEpochs;
        if (r.Errors.Count > errors) return null;
        if (maxNode != null && max != trainEpochs)
            r.Error(maxNode, $"sweep.early_stop.max_epochs {max} differs from train.epochs {trainEpochs}: trials run at most train.epochs");
        foreach (string problem in SweepRules.EarlyStop(type, grace, factor, max)) r.Error(map, $"sweep.{problem}");
        return r.Errors.Count > errors ? null : new EarlyStopSpec(type!, grace, factor, max);
    }

    /// <summary>One swept parameter (of sweep.parameters or sweep.tune.params): its name checked, then its list or distribution.</summary>
    static ParameterAxis? ReadAxis(YamlNodeReader r, YamlNode keyNode, YamlNode valueNode, string method, string model, int capacity, string section)
    {
        string key = ((YamlScalarNode)keyNode).Value ?? "";
        if (SweepParameters.Find(key) is not { } info)
        {
            r.Error(keyNode, $"unknown sweep parameter '{key}'{DidYouMean.Hint(key, SweepParameters.All.Select(p => p.Name))}; known: {string.Join(", ", SweepParameters.All.Select(p => p.Name))}");
            return null;
        }
        return valueNode is YamlMappingNode dist
            ? ReadDistribution(r, dist, info, method, model, capacity, section)
            : ReadValues(r, valueNode, info, model, capacity, section);
    }

    static ParameterAxis? ReadValues(YamlNodeReader r, YamlNode node, SweepParameters.Info info, string model, int capacity, string section)
    {
        string path = $"{section}.{info.Name}";
        // A single value is a one-element list: `optimizer: sgd` fixes it for every trial.
        var items = node is YamlScalarNode ? new List<YamlNode> { node } : r.Sequence(node, path)?.Children.ToList();
        if (items == null) return null;
        var values = new List<object>();
        int errors = r.Errors.Count;
        foreach (var item in items)
        {
            object? value = SweepParameters.Word(info.Name, (item as YamlScalarNode)?.Value) ?? info.Kind switch
            {
                SweepParameters.Kind.Integer => r.Integer(item, $"{path} entry"),
                SweepParameters.Kind.Real => r.Real(item, $"{path} entry"),
                _ => info.Choices == null ? r.Text(item, $"{path} entry") : r.Choice(item, $"{path} entry", info.Choices),
            };
            if (value == null) continue;
            if (SweepParameters.Check(info.Name, value, model, capacity) is { } problem) r.Error(item, problem);
            else if (values.Contains(value)) r.Error(item, $"{path} lists {SweepParameters.Format(value)} twice");
            values.Add(value);
        }
        return r.Errors.Count == errors ? new ParameterAxis(info.Name, values, null) : null;
    }

    static ParameterAxis? ReadDistribution(YamlNodeReader r, YamlMappingNode map, SweepParameters.Info info, string method, string model, int capacity,
        string section)
    {
        string path = $"{section}.{info.Name}";
        r.CheckKeys(map, path, DistributionKeys);
        if (method == "grid") { r.Error(map, $"{path}: a distribution needs method: random or tpe (grid sweeps take a list of values)"); return null; }
        if (info.Kind == SweepParameters.Kind.Text) { r.Error(map, $"{path} takes a list of choices, not a distribution"); return null; }
        string[] kinds = info.Kind == SweepParameters.Kind.Integer ? new[] { "int_uniform" } : new[] { "uniform", "log_uniform" };
        string? kind = r.Choice(r.Require(map, "distribution", path), $"{path}.distribution", kinds);
        double? min = r.Real(r.Require(map, "min", path), $"{path}.min");
        double? max = r.Real(r.Require(map, "max", path), $"{path}.max");
        if (kind == null || min == null || max == null) return null;
        if (SweepRules.Range(path, kind, min.Value, max.Value, 0) is { } badRange) { r.Error(map, badRange); return null; }
        // Both ends obey the parameter's own rules (a learning rate > 0, a dropout below 1, a freeze depth the model has).
        foreach (double bound in new[] { min.Value, max.Value })
            if (SweepParameters.Check(info.Name, info.Kind == SweepParameters.Kind.Integer ? (object)(int)bound : bound, model, capacity) is { } problem)
            { r.Error(map, $"{path}: {problem}"); return null; }
        return new ParameterAxis(info.Name, null, new Distribution(kind, min.Value, max.Value));
    }
}
