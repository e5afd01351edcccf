namespace Runner.Sweeps;

/// <summary>
/// Turns a sweep definition into its trials, deterministically: the same file always gives the same trials in the
/// same order. Grid: the product of the parameter lists in file order, then the base's pretraining seeds
/// (<c>base.pretrain.seed</c> as a list: one base each), then the trial seeds innermost. Random: <c>samples</c>
/// configurations drawn from a generator seeded by <c>random_seed</c>, each run once per seed.
/// Meaningless combinations are pruned once: a scratch model has nothing pretrained to freeze, so every scratch
/// trial runs at freeze depth 0 and the duplicates this makes are dropped.
/// </summary>
public static class SweepExpander
{
    /// <summary>Trials before pruning (used to refuse huge grids before building them); a search's most.</summary>
    public static long GridSize(SweepDefinition d)
    {
        if (SearchOf(d) is { } search) return search.MaxTrials;
        long configs = d.Sweep.Method == "random"
            ? d.Sweep.Samples
            : d.Sweep.Parameters.Aggregate(1L, (n, a) => SaturatingMultiply(n, a.Values?.Count ?? 1));
        return SaturatingMultiply(SaturatingMultiply(configs, Math.Max(1, d.Base.BaseSeeds.Length)), Math.Max(1, d.Sweep.Seeds.Length));
    }

    /// <summary>The trials known before the sweep runs; none for a search (<see cref="SearchOf"/>), whose trials are proposed as it runs.</summary>
    public static IReadOnlyList<TrialSpec> Expand(SweepDefinition d)
    {
        if (SearchOf(d) != null) return Array.Empty<TrialSpec>();
        var configs = d.Sweep.Method == "random" ? RandomConfigs(d) : GridConfigs(d.Sweep.Parameters);
        return TrialsOf(d, configs);
    }

    static List<TrialSpec> TrialsOf(SweepDefinition d, IEnumerable<IReadOnlyDictionary<string, object>> configs)
    {
        var defaults = Defaults(d);
        int[]? baseSeeds = BaseSeedsOf(d);
        return configs.SelectMany(config => Seeded(defaults, config, baseSeeds, d.Sweep.Seeds)).DistinctBy(t => t.Id).ToList();
    }

    /// <summary>base.pretrain.seed as a list (one base each), or null for one base.</summary>
    static int[]? BaseSeedsOf(SweepDefinition d) => d.Base.BaseSeeds.Length > 1 ? d.Base.BaseSeeds : null;

    /// <summary>
    /// The trials of one configuration, for a grid and a search's proposal alike: each pretraining seed of
    /// <paramref name="baseSeeds"/> (null: the one base), then each seed. Scratch trials do not depend on the base:
    /// their copies for other base seeds are the same trial and dropped.
    /// </summary>
    public static IReadOnlyList<TrialSpec> Seeded(TrialSpec defaults, IReadOnlyDictionary<string, object> values, int[]? baseSeeds, IEnumerable<int> seeds)
    {
        int?[] bases = baseSeeds is { Length: > 1 } b ? b.Select(s => (int?)s).ToArray() : new int?[] { null };
        return bases.SelectMany(baseSeed => seeds.Select(seed => Resolve(defaults, values, seed, baseSeed))).DistinctBy(t => t.Id).ToList();
    }

    /// <summary>
    /// A sweep whose trials are proposed while it runs (<c>method: tpe</c>, or <c>sweep.tune</c>), or null. A plain
    /// tpe sweep is one study over every axis; <c>tune</c> makes one study per cell of its <c>per</c> axes (cells
    /// that resolve to the same trials, such as scratch at every freeze depth, are one study).
    /// </summary>
    public static Search.SearchPlan? SearchOf(SweepDefinition d)
    {
        var s = d.Sweep;
        if (s.Tune == null && s.Method != Search.SearchPlan.Tpe) return null;
        var defaults = Defaults(d);
        int[]? baseSeeds = BaseSeedsOf(d);
        if (s.Tune is not { } tune)
            return new Search.SearchPlan(s.Method, s.Parameters.Select(Search.SearchAxis.Of).ToArray(), s.Budget, s.Parallelism, s.RandomSeed,
                new[] { new Search.SearchStudy(Array.Empty<Search.CellValue>(), s.Seeds, Array.Empty<int>()) }, defaults, baseSeeds, s.StartupTrials);
        var studies = new List<Search.SearchStudy>();
        var seen = new HashSet<string>();
        foreach (var cell in GridConfigs(s.Parameters))
        {
            // The cell as its trials will hold it (scratch has freeze depth 0 whatever the grid said).
            var resolved = Resolve(defaults, cell, 0).Parameters();
            var values = tune.Per.Select(p => new Search.CellValue(p, Search.SearchPlan.Text(resolved[p]))).ToArray();
            if (seen.Add(string.Join("|", values.Select(v => v.Text))))
                studies.Add(new Search.SearchStudy(values, s.Seeds.Take(1).ToArray(), tune.SeedsAfter));
        }
        return new Search.SearchPlan(s.Method, tune.Params.Select(Search.SearchAxis.Of).ToArray(), tune.Budget, s.Parallelism, s.RandomSeed,
            studies.ToArray(), defaults, baseSeeds, s.StartupTrials);
    }

    /// <summary>
    /// Trials a search may propose at the corners of its space (each choice, each end of each range, in every study),
    /// at most <paramref name="limit"/> configurations: what the validator checks settings that go together on.
    /// </summary>
    public static IReadOnlyList<TrialSpec> Corners(SweepDefinition d, int limit = 256)
    {
        if (SearchOf(d) is not { } search) return Expand(d);
        var axes = search.Space.Select(a => a.ToAxis()).Select(a => new ParameterAxis(a.Name,
            a.Values ?? new object[] { BoundOf(a.Distribution!, a.Distribution!.Min), BoundOf(a.Distribution!, a.Distribution!.Max) }, null)).ToList();
        var corners = GridConfigs(axes).Take(limit).ToList();
        return Enumerable.Range(0, search.Studies.Length)
            .SelectMany(study => corners.SelectMany(c => search.TrialsOf(study, c, search.Studies[study].Seeds.Take(1))))
            .DistinctBy(t => t.Id).ToList();
    }

    static object BoundOf(Distribution d, double value) => d.Kind == "int_uniform" ? (object)(int)value : value;

    /// <summary>Builds one trial from the swept values, the file's defaults, a seed and (for a list of them) a pretraining seed.</summary>
    public static TrialSpec Resolve(SweepDefinition d, IReadOnlyDictionary<string, object> values, int seed, int? baseSeed = null) =>
        Resolve(Defaults(d), values, seed, baseSeed);

    /// <summary>
    /// The file's settings as one spec, before any swept value and before the rules of <see cref="Resolve(TrialSpec, IReadOnlyDictionary{string, object}, int, int?)"/>
    /// (so it keeps the base's pretraining and weights, the schedule and precision by name, and nesterov as written).
    /// A search's proposals start from it on the coordinator (<see cref="Search.SearchPlan.Defaults"/>); it never runs.
    /// </summary>
    public static TrialSpec Defaults(SweepDefinition d)
    {
        var folder = d.Target.Folder;
        return new TrialSpec(
            Model: d.Base.Model, Pretrain: d.Base.Pretrain, TargetDataset: d.Target.Dataset, TargetClasses: d.Target.Classes,
            ValidationPerClass: d.Target.ValidationPerClass, Initialization: Initialization.Pretrained, FreezeDepth: 0,
            LearningRate: d.Train.LearningRate, DatasetSize: d.Target.Capacity, Epochs: d.Train.Epochs, BatchSize: d.Train.BatchSize,
            Optimizer: d.Train.Optimizer, WeightDecay: d.Train.WeightDecay, Momentum: d.Train.Momentum, Seed: 0,
            Strategy: d.Train.Strategy, BaseLrFactor: d.Train.BaseLrFactor, UnfreezeEvery: d.Train.UnfreezeEvery, Head: d.Train.Head,
            Dropout: d.Train.Dropout, ImageSize: folder?.ImageSize ?? 0, Augment: folder?.Augment ?? false,
            SkipBadImages: folder?.SkipBadImages ?? false, Transforms: folder?.Transforms,
            WeightsSha256: d.Base.Weights?.Sha256, WeightsPath: d.Base.Weights?.Path, BackboneStages: d.Base.Stages,
            DataPath: folder?.Layout.Source ?? d.Target.DataDir,
            Metric: d.Sweep.Metric.IsDefault ? null : d.Sweep.Metric.Metric, Minimize: !d.Sweep.Metric.Maximize,
            Select: d.Train.Select, Patience: d.Sweep.Patience?.Patience ?? 0, MinDelta: d.Sweep.Patience?.MinDelta ?? 0,
            LrSchedule: d.Train.LrSchedule, WarmupEpochs: d.Train.WarmupEpochs, LrMilestones: d.Train.LrMilestones,
            LrGamma: d.Train.LrGamma, LabelSmoothing: d.Train.LabelSmoothing, GradClip: d.Train.GradClip, Nesterov: d.Train.Nesterov,
            Keep: d.Sweep.Keep, Precision: d.Train.Precision);
    }

    /// <summary>
    /// One trial from <paramref name="defaults"/> (<see cref="Defaults"/>), the swept values, a seed and a pretraining
    /// seed: the one place the rules that tie settings together are applied, for grids, random search and proposals.
    /// </summary>
    public static TrialSpec Resolve(TrialSpec defaults, IReadOnlyDictionary<string, object> values, int seed, int? baseSeed = null)
    {
        T Get<T>(string name, T fallback) => values.TryGetValue(name, out var v) ? (T)v : fallback;
        var initialization = EnumText.Parse<Initialization>(Get("initialization", EnumText.Of(defaults.Initialization)));
        bool scratch = initialization == Initialization.Scratch;
        string optimizer = Get("optimizer", defaults.Optimizer);
        string schedule = Get("lr_schedule", defaults.ScheduleName);
        string precision = Get("precision", defaults.PrecisionName);
        return defaults with
        {
            Pretrain = scratch ? null : baseSeed is { } b && defaults.Pretrain is { } p ? p with { Seed = b } : defaults.Pretrain,
            Initialization = initialization,
            FreezeDepth = scratch ? 0 : Get("freeze_depth", defaults.FreezeDepth),
            LearningRate = Get("learning_rate", defaults.LearningRate),
            DatasetSize = Get("dataset_size", defaults.DatasetSize),
            Epochs = Get("epochs", defaults.Epochs),
            BatchSize = Get("batch_size", defaults.BatchSize),
            Optimizer = optimizer,
            WeightDecay = Get("weight_decay", defaults.WeightDecay),
            Momentum = Get("momentum", defaults.Momentum),
            Seed = seed,
            Strategy = scratch ? Strategies.FeatureExtraction : Get("strategy", defaults.StrategyName),
            BaseLrFactor = Get("base_lr_factor", defaults.BaseLrFactor),
            UnfreezeEvery = Get("unfreeze_every", defaults.UnfreezeEvery),
            Head = Get("head", defaults.HeadKind),
            Dropout = Get("dropout", defaults.Dropout),
            WeightsSha256 = scratch ? null : defaults.WeightsSha256,
            WeightsPath = scratch ? null : defaults.WeightsPath,
            // Null is how records from before selection say "last": a new default trial gets a new id.
            Select = defaults.Select == "last" ? null : defaults.Select,
            LrSchedule = schedule == LearningRateSchedule.Constant ? null : schedule,
            WarmupEpochs = Get("warmup_epochs", defaults.WarmupEpochs),
            LrGamma = Get("lr_gamma", defaults.LrGamma),
            LabelSmoothing = Get("label_smoothing", defaults.LabelSmoothing),
            GradClip = Get("grad_clip", defaults.GradClip),
            // Nesterov is an SGD setting: with optimizer as an axis it applies to the SGD trials only.
            Nesterov = defaults.Nesterov && optimizer == "sgd",
            Keep = defaults.Keep == KeptModels.None ? null : defaults.Keep,
            Precision = precision == "fp32" ? null : precision,
        };
    }

    static IEnumerable<IReadOnlyDictionary<string, object>> GridConfigs(IReadOnlyList<ParameterAxis> axes)
    {
        IEnumerable<Dictionary<string, object>> configs = new[] { new Dictionary<string, object>() };
        foreach (var axis in axes)
            configs = configs.SelectMany(c => axis.Values!.Select(v => new Dictionary<string, object>(c) { [axis.Name] = v }));
        return configs;
    }

    static IEnumerable<IReadOnlyDictionary<string, object>> RandomConfigs(SweepDefinition d)
    {
        var rng = new Random(d.Sweep.RandomSeed);
        for (int i = 0; i < d.Sweep.Samples; i++)
        {
            var config = new Dictionary<string, object>();
            foreach (var axis in d.Sweep.Parameters)
                config[axis.Name] = axis.Values != null ? axis.Values[rng.Next(axis.Values.Count)] : axis.Distribution!.Sample(rng);
            yield return config;
        }
    }

    static long SaturatingMultiply(long a, long b) => a > long.MaxValue / Math.Max(1, b) ? long.MaxValue : a * b;
}
