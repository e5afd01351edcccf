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
        return null;
    }

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
        if (type != "asha") yield return $"early_stop.type must be one of asha, got '{type}'";
        if (AtLeast("early_stop.grace_epochs", graceEpochs, 1) is { } grace) yield return grace;
        if (AtLeast("early_stop.reduction_factor", reductionFactor, 2) is { } factor) yield return factor;
        if (AtLeast("early_stop.max_epochs", maxEpochs, 1) is { } max) yield return max;
        else if (graceEpochs >= maxEpochs)
            yield return $"early_stop.grace_epochs {graceEpochs} leaves no rung below max_epochs {maxEpochs}: nothing would ever stop";
    }

    /// <summary>The choices of a text parameter (optimizer, head, strategy, initialization), from its one definition.</summary>
    public static string[] Choices(string parameter) => SweepParameters.Find(parameter)?.Choices
        ?? throw new ArgumentException($"'{parameter}' is not a parameter with choices");
}
