namespace Runner.Sweeps;

/// <summary>
/// The checks a coordinator makes on a sweep that arrives over its API, already expanded by a client it need not
/// trust: the same rules `runner validate` applies to a file (known models and datasets, classes, ranges of every
/// parameter through <see cref="SweepParameters.Check"/>), plus what only a remote submission can get wrong: no
/// trials, missing fields, and files named without the artifact a worker must take them from.
/// </summary>
public static class SubmittedSweepRules
{
    /// <summary>Problems reported at most, so that a broken 100,000-trial request gets a readable answer.</summary>
    const int MaxProblems = 5;

    /// <summary>Every problem of <paramref name="request"/> (at most <see cref="MaxProblems"/>); empty when it may run.</summary>
    public static IReadOnlyList<string> Problems(SweepRequest? request)
    {
        if (request == null) return new[] { "the request has no sweep" };
        var problems = new List<string>();
        if (string.IsNullOrEmpty(request.Name) || !request.Name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.'))
            problems.Add($"name may use letters, digits, '-', '_' and '.', got '{request.Name}'");
        if (request.Trials == null || request.Trials.Length == 0) problems.Add("the sweep has no trials");
        if (request.MaxFailures < 1) problems.Add($"max_failures must be >= 1, got {request.MaxFailures}");
        if (request.Device == null || !DeviceNames.IsValid(request.Device)) problems.Add($"device must be auto, cpu, cuda or cuda:N, got '{request.Device}'");
        if (request.EarlyStop is { } stop && (stop.Type != "asha" || stop.GraceEpochs < 1 || stop.ReductionFactor < 2 || stop.MaxEpochs < 1))
            problems.Add("early_stop must be asha with grace_epochs >= 1, reduction_factor >= 2 and max_epochs >= 1");
        if (problems.Count > 0) return problems;
        for (int i = 0; i < request.Trials!.Length && problems.Count < MaxProblems; i++)
            problems.AddRange(Of(request.Trials[i]).Select(p => $"trial {i + 1}: {p}"));
        return problems.Take(MaxProblems).ToList();
    }

    /// <summary>The problems of one trial.</summary>
    public static IEnumerable<string> Of(TrialSpec? t)
    {
        if (t == null)
        {
            yield return "missing";
            yield break;
        }
        var model = KnownModels.Get(t.Model ?? "");
        if (model == null) yield return $"unknown model '{t.Model}' (known: {string.Join(", ", KnownModels.All.Select(m => m.Name))})";
        if (!Enum.IsDefined(t.Initialization)) yield return $"initialization {(int)t.Initialization} is not one of {string.Join(", ", EnumText.Names<Initialization>())}";

        var dataset = KnownDatasets.Get(t.TargetDataset ?? "");
        if (dataset == null && !t.IsImageFolder) yield return $"unknown dataset '{t.TargetDataset}'";
        foreach (string problem in Classes(t.TargetClasses, dataset, "target classes")) yield return problem;
        if (t.ValidationPerClass < 1) yield return $"validation_per_class must be >= 1, got {t.ValidationPerClass}";
        if (t.IsImageFolder && !IsSha256(t.DataArchiveSha256))
            yield return "an image folder travels as an uploaded archive: the trial names none (submit with `runner submit`)";
        if (t.ImageSize != 0 && t.ImageSize is < 8 or > 1024) yield return $"image_size must be 0 (the model's own) or 8..1024, got {t.ImageSize}";

        if (t.WeightsSha256 != null && !IsSha256(t.WeightsSha256)) yield return $"weights SHA-256 '{t.WeightsSha256}' is not 64 hex digits";
        if (t.WeightsPath != null && t.WeightsSha256 == null) yield return "a weight file travels by its SHA-256: the trial names a path without one";
        if (t.Pretrain is { } p)
        {
            var source = KnownDatasets.Get(p.Dataset ?? "");
            if (source == null) yield return $"unknown pretraining dataset '{p.Dataset}'";
            foreach (string problem in Classes(p.Classes, source, "pretraining classes")) yield return problem;
            if (p.Epochs < 1) yield return $"pretraining epochs must be >= 1, got {p.Epochs}";
            if (p.BatchSize < 1) yield return $"pretraining batch_size must be >= 1, got {p.BatchSize}";
            if (!(p.LearningRate > 0)) yield return $"pretraining learning_rate must be > 0, got {p.LearningRate}";
            if (p.Optimizer is not ("adam" or "sgd")) yield return $"pretraining optimizer must be adam or sgd, got '{p.Optimizer}'";
        }
        else if (t.Initialization == Initialization.Pretrained && t.WeightsSha256 == null)
            yield return "a pretrained trial needs its pretraining settings or a weight file";

        if (model == null || !Enum.IsDefined(t.Initialization)) yield break;
        int capacity = dataset == null ? int.MaxValue : TargetSpec.CapacityOf(dataset.TrainPerClass, t.ValidationPerClass);
        foreach (var (name, value) in t.Parameters())
        {
            if (SweepParameters.Find(name) is not { } info) continue;   // the seed: any whole number
            if (info.Choices != null && !info.Choices.Contains(value as string)) yield return $"{name} must be one of {string.Join(", ", info.Choices)}, got '{value}'";
            else if (value is double d && !double.IsFinite(d)) yield return $"{name} must be a finite number";
            else if (SweepParameters.Check(name, value, t.Model!, capacity) is { } problem) yield return problem;
        }
    }

    static IEnumerable<string> Classes(int[]? classes, KnownDatasets.DatasetFacts? dataset, string what)
    {
        if (classes == null || classes.Length < 2) yield return $"{what}: at least two are needed";
        else if (classes.Distinct().Count() != classes.Length) yield return $"{what}: a class is listed twice";
        else if (classes.Any(c => c < 0 || (dataset != null && c >= dataset.ClassNames.Count)))
            yield return $"{what}: classes are 0..{(dataset?.ClassNames.Count ?? int.MaxValue) - 1}, got [{string.Join(", ", classes)}]";
    }

    static bool IsSha256(string? text) => text is { Length: 64 } && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
