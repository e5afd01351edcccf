namespace Runner.Sweeps;

/// <summary>The parameters a sweep may vary, with their types and the checks each value must pass.</summary>
public static class SweepParameters
{
    public enum Kind { Text, Integer, Real }

    public sealed record Info(string Name, Kind Kind, string[]? Choices, string Help);

    public static readonly IReadOnlyList<Info> All = new Info[]
    {
        new("initialization", Kind.Text, EnumText.Names<Initialization>(), "pretrained base or the no-transfer baseline"),
        new("freeze_depth", Kind.Integer, null, "number of leading stages frozen (0 = fine-tune everything)"),
        new("learning_rate", Kind.Real, null, "optimizer learning rate (> 0)"),
        new("dataset_size", Kind.Integer, null, "training examples per target class"),
        new("weight_decay", Kind.Real, null, "L2 weight decay (>= 0)"),
        new("momentum", Kind.Real, null, "SGD momentum in [0, 1)"),
        new("batch_size", Kind.Integer, null, "examples per batch"),
        new("epochs", Kind.Integer, null, "training epochs"),
        new("optimizer", Kind.Text, new[] { "adam", "adamw", "sgd" }, "optimizer: adam (L2 weight decay, as torch.optim.Adam), adamw (decoupled weight decay) or sgd"),
        new("strategy", Kind.Text, Strategies.All, "how the base adapts: feature-extraction, fine-tune (smaller rate below freeze_depth) or gradual-unfreeze"),
        new("base_lr_factor", Kind.Real, null, "fine-tune: the rate of the stages below freeze_depth, as a factor of learning_rate (> 0)"),
        new("unfreeze_every", Kind.Integer, null, "gradual-unfreeze: epochs between unfreezing one more stage (>= 1)"),
        new("head", Kind.Text, new[] { "linear", "mlp" }, "the new head: one linear layer, or linear-ReLU-linear (256 hidden units)"),
        new("dropout", Kind.Real, null, "dropout before each linear layer of the head, in [0, 1)"),
        new("lr_schedule", Kind.Text, LearningRateSchedule.Names, "how the learning rate moves: constant, cosine, step (lr_milestones, lr_gamma) or one-cycle"),
        new("warmup_epochs", Kind.Integer, null, "epochs of linear learning-rate warm-up before the schedule (>= 0)"),
        new("lr_gamma", Kind.Real, null, "step schedule: the factor at each milestone, in (0, 1]"),
        new("label_smoothing", Kind.Real, null, "cross-entropy label smoothing, in [0, 1)"),
        new("grad_clip", Kind.Real, null, "clip the gradients' total norm to this before each step (0 = off)"),
        new("precision", Kind.Text, new[] { "fp32", "bf16", "fp16" }, "arithmetic of the forward pass: fp32, or mixed precision (autocast) in bfloat16 or float16 (CUDA only, with loss scaling)"),
    };

    public static Info? Find(string name) => All.FirstOrDefault(p => p.Name == name);

    /// <summary>
    /// <c>dataset_size: all</c>: every training image of each class (after validation). Stored as the largest int so
    /// that it sorts after every number and "up to N per class" needs no special case; shown as "all".
    /// </summary>
    public const int AllImages = int.MaxValue;
    public const string AllImagesWord = "all";

    /// <summary>A value as the sweep file and the published schema write it: <c>all</c> for <see cref="AllImages"/>, else itself.</summary>
    public static object Published(object value) => value is AllImages ? AllImagesWord : value;

    /// <summary>A word that stands for a number of this parameter (<c>dataset_size: all</c>), or null.</summary>
    public static object? Word(string name, string? text) => name == "dataset_size" && text == AllImagesWord ? AllImages : null;

    /// <summary>Checks one value against its parameter's rules; returns the problem or null.</summary>
    public static string? Check(string name, object value, string model, int datasetCapacity)
    {
        switch (name)
        {
            case "freeze_depth":
                // A TorchScript backbone's stages are counted when its file is loaded (or from base.stages, checked per trial).
                int stages = KnownModels.Get(model) is { IsTorchScript: false } facts ? facts.Stages.Count : int.MaxValue;
                int depth = (int)value;
                if (depth < 0 || depth > stages)
                    return $"freeze_depth {depth} is outside 0..{stages} ({model} has {stages} stages)";
                return null;
            case "learning_rate":
                return (double)value <= 0 ? $"learning_rate must be > 0, got {Format(value)}" : null;
            case "weight_decay":
                return (double)value < 0 ? $"weight_decay must be >= 0, got {Format(value)}" : null;
            case "momentum":
                return (double)value is < 0 or >= 1 ? $"momentum must be in [0, 1), got {Format(value)}" : null;
            case "dataset_size":
                int size = (int)value;
                if (size < 1) return $"dataset_size must be >= 1 (or {AllImagesWord}), got {size}";
                if (size > datasetCapacity && size != AllImages)
                    return $"dataset_size {size} is more than any class holds: the largest has {datasetCapacity} training examples left after the validation split (dataset_size: {AllImagesWord} takes every image)";
                return null;
            case "base_lr_factor":
                return (double)value <= 0 ? $"base_lr_factor must be > 0, got {Format(value)}" : null;
            case "dropout":
                return (double)value is < 0 or >= 1 ? $"dropout must be in [0, 1), got {Format(value)}" : null;
            case "warmup_epochs":
                return (int)value < 0 ? $"warmup_epochs must be >= 0, got {value}" : null;
            case "lr_gamma":
                return (double)value is <= 0 or > 1 ? $"lr_gamma must be in (0, 1], got {Format(value)}" : null;
            case "label_smoothing":
                return (double)value is < 0 or >= 1 ? $"label_smoothing must be in [0, 1), got {Format(value)}" : null;
            case "grad_clip":
                return (double)value < 0 ? $"grad_clip must be >= 0 (0 = off), got {Format(value)}" : null;
            case "unfreeze_every":
            case "batch_size":
            case "epochs":
                return (int)value < 1 ? $"{name} must be >= 1, got {value}" : null;
            default:
                return null;
        }
    }

    public static string Format(object value) => value switch
    {
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        AllImages => AllImagesWord,   // only dataset_size can hold it
        _ => value.ToString()!,
    };
}
