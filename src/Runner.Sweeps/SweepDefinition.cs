using MessagePack;

namespace Runner.Sweeps;

/// <summary>
/// A whole sweep file after validation: everything needed to expand it into trials, and the warnings it gave (what
/// runs but may not be what was meant, such as classes too small for a dataset_size).
/// </summary>
public sealed record SweepDefinition(
    string Name,
    BaseSpec Base,
    TargetSpec Target,
    TrainSpec Train,
    SweepSpec Sweep,
    ResourceSpec Resources,
    string? SourcePath = null)
{
    public IReadOnlyList<SweepError> Warnings { get; init; } = Array.Empty<SweepError>();
}

/// <summary>The base model: pretrained by Runner on source classes (<paramref name="Pretrain"/>) or loaded from a file (<paramref name="Weights"/>).</summary>
/// <param name="PretrainSeeds">base.pretrain.seed as a list: one base per seed, a sweep axis (null: the one seed in <paramref name="Pretrain"/>)</param>
/// <param name="Stages">a TorchScript backbone's stages as parameter-name prefixes (base.stages; null: its top-level children)</param>
public sealed record BaseSpec(string Model, PretrainSpec? Pretrain, WeightsSpec? Weights = null, int[]? PretrainSeeds = null, string[]? Stages = null)
{
    /// <summary>The pretraining seeds the sweep's pretrained trials use, one base each; empty without pretraining.</summary>
    public int[] BaseSeeds => PretrainSeeds ?? (Pretrain != null ? new[] { Pretrain.Seed } : Array.Empty<int>());
}

/// <summary>A pretrained checkpoint the user supplies. Its SHA-256 (taken when the file is read) is part of each trial's identity.</summary>
public sealed record WeightsSpec(string Path, string Sha256);

/// <summary>
/// Images in the torchvision ImageFolder layout, resized and center-cropped to <paramref name="ImageSize"/> pixels
/// (0: the model's own input size), with random crops and flips while training when <paramref name="Augment"/>.
/// <paramref name="SkipBadImages"/> (<c>on_bad_image: skip</c>): files that are not readable images are left out and
/// reported, instead of refusing the data.
/// </summary>
/// <paramref name="Transforms"/>: torchvision-style resize, crops, flips and jitter (null: decode at image_size, and
/// <paramref name="Augment"/>'s pad-and-crop).
public sealed record ImageFolderSpec(ImageFolderLayout Layout, int ImageSize, bool Augment, bool SkipBadImages = false, TransformSpec? Transforms = null);

/// <summary>Pretraining on the source classes. Everything here determines the checkpoint, so all of it is hashed.</summary>
[MessagePackObject]
public sealed record PretrainSpec(
    [property: Key(0)] string Dataset,
    [property: Key(1)] int[] Classes,
    [property: Key(2)] int Epochs,
    [property: Key(3)] double LearningRate,
    [property: Key(4)] int Seed,
    [property: Key(5)] int BatchSize,
    [property: Key(6)] string Optimizer);

/// <summary>
/// The target task. <paramref name="DataDir"/> says where the files are, not what they are: it is not part of a
/// trial's identity. <paramref name="Folder"/> is set for image-folder data (then <paramref name="Dataset"/> names its
/// fingerprint: image-folder:HASH). <paramref name="TrainPerClass"/> is how many training images each target class
/// has (in <paramref name="Classes"/>' order) in the data this sweep was checked against (null until known).
/// </summary>
public sealed record TargetSpec(string Dataset, int[] Classes, int ValidationPerClass, string? DataDir, ImageFolderSpec? Folder = null,
    int[]? TrainPerClass = null)
{
    /// <summary>
    /// The most <c>dataset_size</c> may be, and its default: what the largest class has left once validation is
    /// carved out. Classes with fewer images use all they have (uneven classes are not cut to the smallest).
    /// </summary>
    public int Capacity => TrainPerClass is { Length: > 0 } n ? CapacityOf(n.Max(), ValidationPerClass) : int.MaxValue;

    /// <summary>The target classes (indices) with fewer than <paramref name="datasetSize"/> training images after validation, with what they have.</summary>
    public IEnumerable<(int Class, int Images)> ShortOf(int datasetSize) =>
        (TrainPerClass ?? Array.Empty<int>()).Select((n, i) => (Classes[i], CapacityOf(n, ValidationPerClass)))
            .Where(c => c.Item2 < datasetSize);

    /// <summary>The rule, written once: validation images come first out of every class; the rest may train.</summary>
    public static int CapacityOf(int trainImagesPerClass, int validationPerClass) => trainImagesPerClass - validationPerClass;
}

/// <summary>
/// Training settings shared by every trial unless a sweep parameter overrides them. <paramref name="Select"/> says
/// which epoch's weights are tested (best by the objective, or last); <paramref name="LrMilestones"/> and
/// <paramref name="Nesterov"/> are fixed for a sweep (not axes).
/// </summary>
public sealed record TrainSpec(
    int Epochs, int BatchSize, string Optimizer, double LearningRate, double WeightDecay, double Momentum,
    string Strategy = Strategies.FeatureExtraction, double BaseLrFactor = Strategies.DefaultBaseLrFactor, int UnfreezeEvery = 1,
    string Head = "linear", double Dropout = 0, string Select = "best", string LrSchedule = LearningRateSchedule.Constant,
    int WarmupEpochs = 0, int[]? LrMilestones = null, double LrGamma = LearningRateSchedule.DefaultGamma, double LabelSmoothing = 0,
    double GradClip = 0, bool Nesterov = false, string Precision = "fp32");

/// <summary>Patience early stopping (<c>sweep.early_stop.type: patience</c>): a trial stops after <paramref name="Patience"/> epochs whose objective did not beat its best by more than <paramref name="MinDelta"/>.</summary>
public sealed record PatienceSpec(int Patience, double MinDelta);

/// <param name="EarlyStop">ASHA, which compares trials (the coordinator applies it)</param>
/// <param name="Patience">patience, which each trial applies to itself (part of its identity)</param>
/// <param name="Keep">whose models are kept: see <see cref="KeptModels"/></param>
/// <param name="Budget">method tpe: how many configurations the sampler proposes (<c>sweep.trials</c>)</param>
/// <param name="Parallelism">a search's configurations in flight at once, per study (<c>sweep.parallelism</c>)</param>
/// <param name="Tune">per-cell tuning, then seeds (<c>sweep.tune</c>)</param>
/// <param name="StartupTrials">tpe: random configurations before the model is used, per study (<c>sweep.startup_trials</c>)</param>
public sealed record SweepSpec(
    string Method, int Samples, int RandomSeed, IReadOnlyList<ParameterAxis> Parameters, int[] Seeds,
    Objective Metric, int MaxTrials, EarlyStopSpec? EarlyStop = null, PatienceSpec? Patience = null, string Keep = KeptModels.BestPerCell,
    int Budget = 0, int Parallelism = Search.SearchPlan.DefaultParallelism, TuneSpec? Tune = null, int StartupTrials = Search.TpeSampler.StartupTrials);

/// <summary>
/// <c>sweep.tune</c>: in each cell of the axes named in <paramref name="Per"/> (every axis of sweep.parameters), the
/// sampler (sweep.method) tunes <paramref name="Params"/> on validation with <paramref name="Budget"/> trials on the
/// first of sweep.seeds; then the cell's winner runs on every seed of <paramref name="SeedsAfter"/>.
/// </summary>
public sealed record TuneSpec(string[] Per, int Budget, IReadOnlyList<ParameterAxis> Params, int[] SeedsAfter);

/// <summary>Where trials run and how many attempts a trial gets.</summary>
public sealed record ResourceSpec(string Device, int MaxFailures, int Threads);
