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
    /// <summary>Trials before pruning (used to refuse huge grids before building them).</summary>
    public static long GridSize(SweepDefinition d)
    {
        long configs = d.Sweep.Method == "random"
            ? d.Sweep.Samples
            : d.Sweep.Parameters.Aggregate(1L, (n, a) => SaturatingMultiply(n, a.Values?.Count ?? 1));
        return SaturatingMultiply(SaturatingMultiply(configs, Math.Max(1, d.Base.BaseSeeds.Length)), Math.Max(1, d.Sweep.Seeds.Length));
    }

    public static IReadOnlyList<TrialSpec> Expand(SweepDefinition d)
    {
        var configs = d.Sweep.Method == "random" ? RandomConfigs(d) : GridConfigs(d.Sweep.Parameters);
        var trials = new List<TrialSpec>();
        var seen = new HashSet<string>();
        // Scratch trials do not depend on the base: their copies for other base seeds are the same trial and dropped.
        int?[] baseSeeds = d.Base.BaseSeeds.Length > 1 ? d.Base.BaseSeeds.Select(s => (int?)s).ToArray() : new int?[] { null };
        foreach (var config in configs)
            foreach (int? baseSeed in baseSeeds)
                foreach (int seed in d.Sweep.Seeds)
                {
                    var trial = Resolve(d, config, seed, baseSeed);
                    if (seen.Add(trial.Id)) trials.Add(trial);
                }
        return trials;
    }

    /// <summary>Builds one trial from the swept values, the file's defaults, a seed and (for a list of them) a pretraining seed.</summary>
    public static TrialSpec Resolve(SweepDefinition d, IReadOnlyDictionary<string, object> values, int seed, int? baseSeed = null)
    {
        T Get<T>(string name, T fallback) => values.TryGetValue(name, out var v) ? (T)v : fallback;
        var initialization = EnumText.Parse<Initialization>(Get("initialization", EnumText.Of(Initialization.Pretrained)));
        bool scratch = initialization == Initialization.Scratch;
        string optimizer = Get("optimizer", d.Train.Optimizer);
        var folder = d.Target.Folder;
        return new TrialSpec(
            Model: d.Base.Model,
            Pretrain: scratch ? null : baseSeed is { } b && d.Base.Pretrain is { } p ? p with { Seed = b } : d.Base.Pretrain,
            TargetDataset: d.Target.Dataset,
            TargetClasses: d.Target.Classes,
            ValidationPerClass: d.Target.ValidationPerClass,
            Initialization: initialization,
            FreezeDepth: scratch ? 0 : Get("freeze_depth", 0),
            LearningRate: Get("learning_rate", d.Train.LearningRate),
            DatasetSize: Get("dataset_size", d.Target.Capacity),
            Epochs: Get("epochs", d.Train.Epochs),
            BatchSize: Get("batch_size", d.Train.BatchSize),
            Optimizer: optimizer,
            WeightDecay: Get("weight_decay", d.Train.WeightDecay),
            Momentum: Get("momentum", d.Train.Momentum),
            Seed: seed,
            Strategy: scratch ? Strategies.FeatureExtraction : Get("strategy", d.Train.Strategy),
            BaseLrFactor: Get("base_lr_factor", d.Train.BaseLrFactor),
            UnfreezeEvery: Get("unfreeze_every", d.Train.UnfreezeEvery),
            Head: Get("head", d.Train.Head),
            Dropout: Get("dropout", d.Train.Dropout),
            ImageSize: folder?.ImageSize ?? 0,
            Augment: folder?.Augment ?? false,
            SkipBadImages: folder?.SkipBadImages ?? false,
            Transforms: folder?.Transforms,
            WeightsSha256: scratch ? null : d.Base.Weights?.Sha256,
            WeightsPath: scratch ? null : d.Base.Weights?.Path,
            BackboneStages: d.Base.Stages,
            DataPath: folder?.Layout.Source ?? d.Target.DataDir,
            Metric: d.Sweep.Metric.IsDefault ? null : d.Sweep.Metric.Metric,
            Minimize: !d.Sweep.Metric.Maximize,
            // Null is how records from before selection say "last": a new default trial gets a new id.
            Select: d.Train.Select == "last" ? null : d.Train.Select,
            Patience: d.Sweep.Patience?.Patience ?? 0,
            MinDelta: d.Sweep.Patience?.MinDelta ?? 0,
            LrSchedule: Get("lr_schedule", d.Train.LrSchedule) is var schedule && schedule == LearningRateSchedule.Constant ? null : schedule,
            WarmupEpochs: Get("warmup_epochs", d.Train.WarmupEpochs),
            LrMilestones: d.Train.LrMilestones,
            LrGamma: Get("lr_gamma", d.Train.LrGamma),
            LabelSmoothing: Get("label_smoothing", d.Train.LabelSmoothing),
            GradClip: Get("grad_clip", d.Train.GradClip),
            // Nesterov is an SGD setting: with optimizer as an axis it applies to the SGD trials only.
            Nesterov: d.Train.Nesterov && optimizer == "sgd",
            Keep: d.Sweep.Keep == KeptModels.None ? null : d.Sweep.Keep,
            Precision: Get("precision", d.Train.Precision) is var precision && precision == "fp32" ? null : precision);
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
