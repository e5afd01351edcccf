using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MessagePack;

namespace Runner.Sweeps;

/// <summary>
/// One fully resolved trial: everything that determines its result, and nothing else (no device). Its
/// <see cref="Id"/> is a hash of exactly these fields, so the same trial in another sweep has the same id. The two
/// paths it carries (<see cref="DataPath"/>, <see cref="WeightsPath"/>) tell a worker where to read; they are not part
/// of the identity: the folder's fingerprint (in <see cref="TargetDataset"/>) and the weights' SHA-256 are. For a
/// built-in dataset <see cref="DataPath"/> is the sweep file's <c>target.data</c> folder, if it names one. A sweep
/// submitted to a cluster also carries <see cref="DataArchiveSha256"/>, the artifact a worker that lacks the folder
/// fetches it from (the weights it fetches by their SHA-256).
/// <see cref="TunedBy"/> marks the trials a per-cell search ran again on more seeds (its winner, "tpe, 12 trials"): it
/// says how the configuration was chosen, for tables, and is not part of the identity either.
/// Fields added after the first version are left out of <see cref="Canonical"/> while they hold their defaults, so
/// the ids of trials that do not use them never change.
/// </summary>
[MessagePackObject]
public sealed record TrialSpec(
    [property: Key(0)] string Model,
    [property: Key(1)] PretrainSpec? Pretrain,
    [property: Key(2)] string TargetDataset,
    [property: Key(3)] int[] TargetClasses,
    [property: Key(4)] int ValidationPerClass,
    [property: Key(5)] Initialization Initialization,
    [property: Key(6)] int FreezeDepth,
    [property: Key(7)] double LearningRate,
    [property: Key(8)] int DatasetSize,
    [property: Key(9)] int Epochs,
    [property: Key(10)] int BatchSize,
    [property: Key(11)] string Optimizer,
    [property: Key(12)] double WeightDecay,
    [property: Key(13)] double Momentum,
    [property: Key(14)] int Seed,
    [property: Key(15)] string? Strategy = null,
    [property: Key(16)] double BaseLrFactor = Strategies.DefaultBaseLrFactor,
    [property: Key(17)] int UnfreezeEvery = 1,
    [property: Key(18)] string? Head = null,
    [property: Key(19)] double Dropout = 0,
    [property: Key(20)] int ImageSize = 0,
    [property: Key(21)] bool Augment = false,
    [property: Key(22)] string? WeightsSha256 = null,
    [property: Key(23)] string? WeightsPath = null,
    [property: Key(24)] string? DataPath = null,
    [property: Key(25)] string? DataArchiveSha256 = null,
    [property: Key(26)] string? Metric = null,
    [property: Key(27)] bool Minimize = false,
    [property: Key(28)] string? Select = null,
    [property: Key(29)] int Patience = 0,
    [property: Key(30)] double MinDelta = 0,
    [property: Key(31)] string? LrSchedule = null,
    [property: Key(32)] int WarmupEpochs = 0,
    [property: Key(33)] int[]? LrMilestones = null,
    [property: Key(34)] double LrGamma = LearningRateSchedule.DefaultGamma,
    [property: Key(35)] double LabelSmoothing = 0,
    [property: Key(36)] double GradClip = 0,
    [property: Key(37)] bool Nesterov = false,
    [property: Key(38)] string? Keep = null,
    [property: Key(39)] string? Precision = null,
    [property: Key(40)] string[]? BackboneStages = null,
    [property: Key(41)] bool SkipBadImages = false,
    [property: Key(42)] TransformSpec? Transforms = null,
    [property: Key(43)] string? TunedBy = null)
{
    /// <summary>fp32 (null in records from before mixed precision), bf16 or fp16: the arithmetic of the forward pass.</summary>
    [IgnoreMember]
    public string PrecisionName => Precision ?? "fp32";

    /// <summary>
    /// Whether the worker keeps this trial's selected weights in the coordinator's artifact store (<c>sweep.keep</c>,
    /// see <see cref="KeptModels"/>). Like the paths, it says what to do with the trial, not what it is: not part of its id.
    /// </summary>
    [IgnoreMember]
    public bool KeepsModel => Keep is { } keep && keep != KeptModels.None;

    /// <summary>What the trial optimizes on validation (<c>sweep.metric</c>): it picks the epoch tested and drives patience.</summary>
    [IgnoreMember]
    public Objective Objective => new(Metric ?? Objective.Default.Metric, !Minimize);

    /// <summary>
    /// Whether the test metrics are those of the objective's best epoch (its weights restored), the default; records
    /// from before selection existed hold null, which meant the last epoch.
    /// </summary>
    [IgnoreMember]
    public bool SelectsBestEpoch => Select == "best";

    /// <summary>constant, cosine, step or one-cycle (null in records from before schedules: constant).</summary>
    [IgnoreMember]
    public string ScheduleName => LrSchedule ?? LearningRateSchedule.Constant;

    [IgnoreMember]
    public LearningRateSchedule Schedule => new(ScheduleName, WarmupEpochs, LrMilestones ?? Array.Empty<int>(), LrGamma);

    /// <summary>
    /// A pretrained base's one identity: the model, and either its weight file's SHA-256 or how Runner pretrains it.
    /// The task that builds the base (<see cref="PretrainTaskId"/>), the name of its checkpoint and the frozen-feature
    /// cache (<see cref="FrozenFeaturesKey"/>) all derive from it. Null for a trial from scratch.
    /// </summary>
    [IgnoreMember]
    public string? BaseIdentity => Initialization != Initialization.Pretrained ? null
        : WeightsSha256 != null ? $"{Model}|weights:{WeightsSha256}"
        : Pretrain != null ? BaseIdentityOf(Model, Pretrain)
        : null;

    /// <summary>The identity of the base Runner pretrains for <paramref name="model"/> with <paramref name="pretrain"/>.</summary>
    public static string BaseIdentityOf(string model, PretrainSpec pretrain) => $"{model}|{CanonicalPretrain(pretrain)}";

    /// <summary>
    /// The sweep task that builds this trial's pretrained base, named by the base's identity; null when the trial
    /// needs none (scratch, or a weight file).
    /// </summary>
    [IgnoreMember]
    public string? PretrainTaskId => WeightsSha256 == null && WeightsPath == null && BaseIdentity is { } identity ? "base-" + TrialIdOf(identity) : null;

    /// <summary>feature-extraction, fine-tune or gradual-unfreeze (null in records written before strategies existed).</summary>
    [IgnoreMember]
    public string StrategyName => Strategy ?? Strategies.FeatureExtraction;

    [IgnoreMember]
    public string HeadKind => Head ?? "linear";

    /// <summary>Whether the target is a user's image folder (<see cref="DataPath"/> is then that folder).</summary>
    [IgnoreMember]
    public bool IsImageFolder => TargetDataset.StartsWith("image-folder:", StringComparison.Ordinal);

    /// <summary>
    /// Trials with the same key can train on the same cached outputs of the frozen stages; null when a trial cannot
    /// (nothing frozen, a base that changes while training, or augmented images).
    /// </summary>
    [IgnoreMember]
    public string? FrozenFeaturesKey =>
        // A TorchScript program runs whole: its frozen prefix cannot be run alone, so its features are not cached.
        FreezeDepth > 0 && StrategyName == Strategies.FeatureExtraction && !Augment && Transforms?.IsRandom != true && Model != KnownModels.TorchScript
        && BaseIdentity is { } identity
            ? $"{identity}|{TargetDataset}|{ImageSize}|{string.Join(",", TargetClasses)}|{FreezeDepth}{(Transforms == null ? "" : "|" + Transforms.Canonical())}"
            : null;

    /// <summary>Stable 16-hex-digit id: SHA-256 of <see cref="Canonical"/>.</summary>
    [IgnoreMember]
    public string Id => IdOf.GetValue(this, spec => TrialIdOf(spec.Canonical()));

    /// <summary>
    /// Ids already computed, by instance: a sweep looks a trial's id up many times, and hashing costs more than the
    /// rest of its bookkeeping. Keyed by reference, so a copy made with <c>with</c> computes its own.
    /// </summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TrialSpec, string> IdOf = new();

    /// <summary>The resolved configuration as sorted key=value lines, numbers in round-trip form.</summary>
    public string Canonical()
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["model"] = Model,
            ["pretrain"] = Pretrain == null ? "none" : CanonicalPretrain(Pretrain),
            ["target.dataset"] = TargetDataset,
            ["target.classes"] = string.Join(",", TargetClasses),
            ["target.validation_per_class"] = Num(ValidationPerClass),
            ["initialization"] = EnumText.Of(Initialization),
            ["freeze_depth"] = Num(FreezeDepth),
            ["learning_rate"] = Num(LearningRate),
            ["dataset_size"] = Num(DatasetSize),
            ["epochs"] = Num(Epochs),
            ["batch_size"] = Num(BatchSize),
            ["optimizer"] = Optimizer,
            ["weight_decay"] = Num(WeightDecay),
            // Momentum only changes SGD; leaving it out for Adam keeps equal trials equal.
            ["momentum"] = Optimizer == "sgd" ? Num(Momentum) : "-",
            ["seed"] = Num(Seed),
        };
        if (StrategyName != Strategies.FeatureExtraction) fields["strategy"] = StrategyName;
        if (StrategyName == Strategies.FineTune && FreezeDepth > 0) fields["base_lr_factor"] = Num(BaseLrFactor);
        if (StrategyName == Strategies.GradualUnfreeze) fields["unfreeze_every"] = Num(UnfreezeEvery);
        if (HeadKind != "linear") fields["head"] = HeadKind;
        if (Dropout != 0) fields["dropout"] = Num(Dropout);
        if (ImageSize != 0) fields["image_size"] = Num(ImageSize);
        if (Augment) fields["augment"] = "true";
        if (SkipBadImages) fields["on_bad_image"] = "skip";
        if (Transforms != null) fields["transforms"] = Transforms.Canonical();
        if (WeightsSha256 != null) fields["weights"] = WeightsSha256;
        if (!Objective.IsDefault) fields["objective"] = $"{Objective.Metric}:{(Objective.Maximize ? "max" : "min")}";
        if (SelectsBestEpoch) fields["select"] = "best";
        if (Patience > 0) fields["patience"] = $"{Num(Patience)}:{Num(MinDelta)}";
        if (ScheduleName != LearningRateSchedule.Constant) fields["lr_schedule"] = ScheduleName;
        if (WarmupEpochs != 0) fields["warmup_epochs"] = Num(WarmupEpochs);
        if (ScheduleName == LearningRateSchedule.Step)
        {
            fields["lr_milestones"] = string.Join(",", (LrMilestones ?? Array.Empty<int>()).Select(Num));
            fields["lr_gamma"] = Num(LrGamma);
        }
        if (LabelSmoothing != 0) fields["label_smoothing"] = Num(LabelSmoothing);
        if (GradClip != 0) fields["grad_clip"] = Num(GradClip);
        if (Nesterov && Optimizer == "sgd") fields["nesterov"] = "true";
        if (PrecisionName != "fp32") fields["precision"] = PrecisionName;
        if (BackboneStages != null) fields["stages"] = string.Join("|", BackboneStages);
        return string.Join("\n", fields.Select(f => $"{f.Key}={f.Value}"));
    }

    /// <summary>One line for progress displays: the usual settings, then whatever is not the default.</summary>
    public string Describe()
    {
        var text = new StringBuilder($"{EnumText.Of(Initialization)}, freeze {FreezeDepth}, lr {Num(LearningRate)}, {SweepParameters.Format(DatasetSize)}/class, seed {Seed}");
        if (StrategyName != Strategies.FeatureExtraction) text.Append(", ").Append(StrategyName);
        if (HeadKind != "linear") text.Append(", ").Append(HeadKind).Append(" head");
        if (Dropout != 0) text.Append(", dropout ").Append(Num(Dropout));
        if (ScheduleName != LearningRateSchedule.Constant) text.Append(", ").Append(ScheduleName);
        if (LabelSmoothing != 0) text.Append(", smoothing ").Append(Num(LabelSmoothing));
        if (PrecisionName != "fp32") text.Append(", ").Append(PrecisionName);
        return text.ToString();
    }

    /// <summary>The swept values as name → value, for tables and plans.</summary>
    public IReadOnlyDictionary<string, object> Parameters() => new Dictionary<string, object>
    {
        ["initialization"] = EnumText.Of(Initialization),
        ["freeze_depth"] = FreezeDepth,
        ["learning_rate"] = LearningRate,
        ["dataset_size"] = DatasetSize,
        ["epochs"] = Epochs,
        ["batch_size"] = BatchSize,
        ["optimizer"] = Optimizer,
        ["weight_decay"] = WeightDecay,
        ["momentum"] = Momentum,
        ["seed"] = Seed,
        ["strategy"] = StrategyName,
        ["base_lr_factor"] = BaseLrFactor,
        ["unfreeze_every"] = UnfreezeEvery,
        ["head"] = HeadKind,
        ["dropout"] = Dropout,
        ["lr_schedule"] = ScheduleName,
        ["warmup_epochs"] = WarmupEpochs,
        ["lr_gamma"] = LrGamma,
        ["label_smoothing"] = LabelSmoothing,
        ["grad_clip"] = GradClip,
        ["precision"] = PrecisionName,
    };

    static string CanonicalPretrain(PretrainSpec p) =>
        $"{p.Dataset}|{string.Join(",", p.Classes)}|e{p.Epochs}|lr{Num(p.LearningRate)}|s{p.Seed}|b{p.BatchSize}|{p.Optimizer}";

    public static string TrialIdOf(string canonical) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];

    static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    static string Num(int v) => v.ToString(CultureInfo.InvariantCulture);
}
