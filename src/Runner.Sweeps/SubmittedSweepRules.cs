namespace Runner.Sweeps;

/// <summary>
/// The checks a coordinator makes on a sweep that arrives over its API, already expanded by a client it need not
/// trust: the rules `runner validate` applies to a file, from the same place (<see cref="SweepRules"/> and
/// <see cref="SweepParameters.Check"/>), plus what only a remote submission can get wrong: no trials, missing fields,
/// and files named without the artifact a worker must take them from.
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
        if (SweepRules.Name(request.Name) is { } name) problems.Add(name);
        if (request.Trials == null || (request.Trials.Length == 0 && request.Search == null)) problems.Add("the sweep has no trials");
        if (request.Search is { } search)
        {
            if (search.Space == null || search.Studies == null || search.Defaults == null) problems.Add("the search lacks its space, studies or defaults");
            else problems.AddRange(search.Problems());
        }
        if (SweepRules.AtLeast("max_failures", request.MaxFailures, 1) is { } failures) problems.Add(failures);
        if (SweepRules.Device(request.Device) is { } device) problems.Add(device);
        if (request.EarlyStop is { } stop) problems.AddRange(SweepRules.EarlyStop(stop.Type, stop.GraceEpochs, stop.ReductionFactor, stop.MaxEpochs));
        if (problems.Count > 0) return problems;
        for (int i = 0; i < request.Trials!.Length && problems.Count < MaxProblems; i++)
            problems.AddRange(Of(request.Trials[i]).Select(p => $"trial {i + 1}: {p}"));
        // A search's proposals are its defaults with values from the space: the defaults obey the trials' rules.
        if (request.Search is { } plan) problems.AddRange(Of(plan.Defaults).Select(p => $"search defaults: {p}"));
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
        if (SweepRules.Classes(t.TargetClasses, dataset?.ClassNames.Count) is { } classes) yield return $"target.classes: {classes}";
        // 0 for an image folder with val/ (its own validation split); a worker whose folder has none refuses the trial.
        if (SweepRules.AtLeast("validation_per_class", t.ValidationPerClass, t.IsImageFolder ? 0 : 1) is { } validation) yield return validation;
        if (t.IsImageFolder && !IsSha256(t.DataArchiveSha256))
            yield return "an image folder travels as an uploaded archive: the trial names none (submit with `runner submit`)";
        if (SweepRules.ImageSize(t.ImageSize, t.Model) is { } size) yield return size;

        if (t.WeightsSha256 != null && !IsSha256(t.WeightsSha256)) yield return $"weights SHA-256 '{t.WeightsSha256}' is not 64 hex digits";
        if (t.WeightsPath != null && t.WeightsSha256 == null) yield return "a weight file travels by its SHA-256: the trial names a path without one";
        if (t.Pretrain is { } p)
        {
            var source = KnownDatasets.Get(p.Dataset ?? "");
            if (source == null) yield return $"unknown pretraining dataset '{p.Dataset}'";
            if (SweepRules.Classes(p.Classes, source?.ClassNames.Count) is { } sourceClasses) yield return $"pretrain.classes: {sourceClasses}";
            // Pretraining's settings obey the rules of the training parameters of the same names.
            foreach (var (name, value) in new (string, object)[] { ("epochs", p.Epochs), ("batch_size", p.BatchSize), ("learning_rate", p.LearningRate) })
                if (value is double d && !double.IsFinite(d)) yield return $"pretrain.{name} must be a finite number";
                else if (SweepParameters.Check(name, value, "", int.MaxValue) is { } problem) yield return $"pretrain.{problem}";
            if (!SweepRules.Choices("optimizer").Contains(p.Optimizer)) yield return $"pretrain.optimizer must be one of {string.Join(", ", SweepRules.Choices("optimizer"))}, got '{p.Optimizer}'";
        }
        else if (t.Initialization == Initialization.Pretrained && t.WeightsSha256 == null)
            yield return "a pretrained trial needs its pretraining settings or a weight file";

        if (SweepRules.Objective(t.Objective.Metric, t.Objective.Maximize, t.TargetClasses?.Length ?? 0) is { } objective) yield return objective;
        if (t.Select != null && !SweepRules.Selections.Contains(t.Select)) yield return $"select must be one of {string.Join(", ", SweepRules.Selections)}, got '{t.Select}'";
        if (t.Keep != null && !KeptModels.Names.Contains(t.Keep)) yield return $"keep must be one of {string.Join(", ", KeptModels.Names)}, got '{t.Keep}'";
        if (t.Patience != 0) foreach (string problem in SweepRules.Patience(t.Patience, t.MinDelta)) yield return problem;
        foreach (string problem in SweepRules.Together(t)) yield return problem;
        if (t.Transforms is { } transforms)
        {
            if (!t.IsImageFolder) yield return "transforms apply to image folders";
            foreach (string problem in transforms.Problems(t.ImageSize, KnownModels.InputChannels(t.Model ?? ""))) yield return problem;
        }

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

    static bool IsSha256(string? text) => text is { Length: 64 } && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
