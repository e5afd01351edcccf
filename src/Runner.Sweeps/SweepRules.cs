namespace Runner.Sweeps;

/// <summary>
/// The rules a sweep's settings obey, each written once. Both doors apply them: a sweep file (<see cref="SweepFile"/>,
/// which puts the key's path and position in front) and a sweep that arrives over the API already expanded
/// (<see cref="SubmittedSweepRules"/>, which says the trial's number). Each rule returns its problem in words, or null.
/// The rules of the swept parameters themselves are <see cref="SweepParameters.Check"/>.
/// </summary>
public static class SweepRules
{
    /// <summary>Images are resized to at most this side: larger ones only cost memory for no model Runner builds.</summary>
    public const int MaxImageSize = 1024;

    public static string? Name(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.') ? null
            : $"name may use letters, digits, '-', '_' and '.', got '{name}'";

    public static string? Device(string? device) =>
        device != null && DeviceNames.IsValid(device) ? null : $"device must be auto, cpu, cuda or cuda:N, got '{device}'";

    /// <summary>A whole number with a lower bound: "epochs must be >= 1, got 0".</summary>
    /// <summary>
    /// A searched or sampled range (random search, tpe, tune.params): not empty, and positive where its scale is
    /// logarithmic. <paramref name="choices"/> counts a list's entries (kind <c>choice</c>).
    /// </summary>
    public static string? Range(string name, string kind, double min, double max, int choices) => kind switch
    {
        "choice" => choices == 0 ? $"{name} has no choices to search" : null,
        "uniform" or "log_uniform" or "int_uniform" when min >= max =>
            $"{name}: the range {Num(min)}..{Num(max)} is empty (min must be below max; to fix a value, give it as a single value)",
        "log_uniform" when min <= 0 => $"{name}: log_uniform needs min > 0 (it samples the logarithm), got {Num(min)}",
        "uniform" or "log_uniform" or "int_uniform" => null,
        _ => $"{name}: unknown distribution '{kind}' (uniform, log_uniform or int_uniform)",
    };

    static string Num(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    public static string? AtLeast(string name, int value, int min) => value >= min ? null : $"{name} must be >= {min}, got {value}";

    /// <summary>
    /// The side images are resized to: 0 means the model's own; otherwise 8..<see cref="MaxImageSize"/>, and exactly
    /// the model's own for a model whose dense stage is sized for it (convnet4).
    /// </summary>
    public static string? ImageSize(int size, string? model)
    {
        if (size == 0) return null;
        if (size is < 8 or > MaxImageSize) return $"image_size must be 0 (the model's own) or 8..{MaxImageSize}, got {size}";
        if (KnownModels.Get(model ?? "") is { Name: "convnet4", InputSize: var native } && size != native)
            return $"image_size must be {native} for convnet4 (its dense stage is sized for {native}x{native} images), got {size}";
        if (KnownModels.Get(model ?? "") is { MinInputSize: var min } && size < min)
            return $"image_size must be at least {min} for {model} (its pooling stages leave nothing of smaller images), got {size}";
        return null;
    }

    /// <summary>A built-in dataset's images (of a fixed side) through a model that needs larger ones: why they do not fit, or null.</summary>
    public static string? DatasetFits(KnownDatasets.DatasetFacts dataset, string? model) =>
        dataset.ImageSide > 0 && KnownModels.Get(model ?? "") is { MinInputSize: var min } && dataset.ImageSide < min
            ? $"{model} needs images of at least {min} px and {dataset.Name}'s are {dataset.ImageSide} px"
            : null;

    /// <summary>A list of classes: two at least, each once, each one the data has (0..count-1; any when count is unknown).</summary>
    public static string? Classes(IReadOnlyList<int>? classes, int? count)
    {
        if (classes == null || classes.Count < 2) return "needs at least two classes";
        if (classes.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1) is { } twice) return ClassTwice(twice.Key);
        if (classes.Any(c => c < 0 || c >= (count ?? int.MaxValue)))
            return $"classes are 0..{(count ?? int.MaxValue) - 1}, got [{string.Join(", ", classes)}]";
        return null;
    }

    public static string ClassTwice(int index) => $"lists class {index} twice";

    /// <summary>ASHA's settings: every rung needs an epoch, a factor that halves at least, and a rung below the last.</summary>
    public static IEnumerable<string> EarlyStop(string? type, int graceEpochs, int reductionFactor, int maxEpochs)
    {
        if (type == "patience") yield return "early_stop.type patience belongs to each trial (its patience setting), not to the sweep's early_stop";
        else if (type != "asha") yield return $"early_stop.type must be one of asha, patience, got '{type}'";
        if (AtLeast("early_stop.grace_epochs", graceEpochs, 1) is { } grace) yield return grace;
        if (AtLeast("early_stop.reduction_factor", reductionFactor, 2) is { } factor) yield return factor;
        if (AtLeast("early_stop.max_epochs", maxEpochs, 1) is { } max) yield return max;
        else if (graceEpochs >= maxEpochs)
            yield return $"early_stop.grace_epochs {graceEpochs} leaves no rung below max_epochs {maxEpochs}: nothing would ever stop";
    }

    /// <summary>
    /// The objective: a validation metric Runner measures, with the goal it has (a goal against the metric's nature is
    /// a typo that would make the sweep pick its worst trials), and top-5 accuracy only with more than five classes.
    /// </summary>
    public static string? Objective(string? metric, bool maximize, int classes)
    {
        if (metric == null || !Sweeps.Objective.Metrics.Contains(metric))
            return $"metric.name must be one of {string.Join(", ", Sweeps.Objective.Metrics)}, got '{metric}'";
        if (maximize != Sweeps.Objective.MaximizedByNature(metric))
            return $"metric.goal of {metric} must be {(maximize ? "minimize" : "maximize")}, got {(maximize ? "maximize" : "minimize")}";
        if (metric == "val_top5_accuracy" && classes <= 5)
            return $"metric val_top5_accuracy needs more than five target classes (with {classes} it is always 100%)";
        return null;
    }

    /// <summary>Patience early stopping: epochs without improvement before a trial stops (>= 1), and the least change that counts (>= 0).</summary>
    public static IEnumerable<string> Patience(int patience, double minDelta)
    {
        if (AtLeast("early_stop.patience", patience, 1) is { } p) yield return p;
        if (!(minDelta >= 0) || !double.IsFinite(minDelta)) yield return $"early_stop.min_delta must be a finite number >= 0, got {minDelta.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// A schedule and the epochs it spans: warm-up leaves epochs to schedule; one-cycle has a warm-up of its own; the
    /// step schedule needs milestones inside the run, in order; milestones mean nothing to the other schedules.
    /// </summary>
    public static IEnumerable<string> Schedule(string schedule, int warmupEpochs, IReadOnlyList<int>? milestones, int epochs)
    {
        if (!LearningRateSchedule.Names.Contains(schedule))
            yield return $"lr_schedule must be one of {string.Join(", ", LearningRateSchedule.Names)}, got '{schedule}'";
        if (warmupEpochs > 0 && warmupEpochs >= epochs)
            yield return $"warmup_epochs {warmupEpochs} leaves no epoch of the schedule: trials run {epochs} epochs";
        if (schedule == LearningRateSchedule.OneCycle && warmupEpochs > 0)
            yield return "lr_schedule one-cycle warms up by itself (its first 30% of steps): set warmup_epochs to 0";
        if (schedule == LearningRateSchedule.Step)
        {
            if (milestones == null || milestones.Count == 0) yield return "lr_schedule step needs lr_milestones (epochs after which the rate is multiplied by lr_gamma)";
            else if (milestones.Any(m => m < 1 || m >= epochs) || milestones.Zip(milestones.Skip(1)).Any(p => p.Second <= p.First))
                yield return $"lr_milestones must increase and lie in 1..{epochs - 1} (trials run {epochs} epochs), got [{string.Join(", ", milestones)}]";
        }
        else if (milestones is { Count: > 0 }) yield return $"lr_milestones only apply to lr_schedule step, not {schedule}";
    }

    /// <summary>
    /// The rules between one trial's settings, any of which may be an axis: its schedule and epochs, Nesterov
    /// momentum (SGD with momentum only, as torch.optim.SGD requires), its objective and its classes.
    /// </summary>
    public static IEnumerable<string> Together(TrialSpec t)
    {
        foreach (string problem in Schedule(t.ScheduleName, t.WarmupEpochs, t.LrMilestones, t.Epochs)) yield return problem;
        if (t.Nesterov && t.Optimizer != "sgd") yield return $"nesterov applies to optimizer sgd, not {t.Optimizer}";
        else if (t.Nesterov && t.Momentum <= 0) yield return "nesterov needs momentum > 0";
        if (t.Model == KnownModels.TorchScript && t.Initialization == Initialization.Scratch)
            yield return "initialization scratch needs a model Runner can initialize: a TorchScript backbone is its file's weights (compare with a built-in model's scratch run)";
        if (t.BackboneStages is { } stages && t.FreezeDepth > stages.Length)
            yield return $"freeze_depth {t.FreezeDepth} is outside 0..{stages.Length} (base.stages lists {stages.Length})";
    }

    /// <summary>Which epoch's weights a trial is tested with: the objective's best on validation, or the last.</summary>
    public static readonly string[] Selections = { "best", "last" };

    /// <summary>The choices of a text parameter (optimizer, head, strategy, initialization), from its one definition.</summary>
    public static string[] Choices(string parameter) => SweepParameters.Find(parameter)?.Choices
        ?? throw new ArgumentException($"'{parameter}' is not a parameter with choices");
}
