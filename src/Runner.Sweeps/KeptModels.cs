namespace Runner.Sweeps;

/// <summary>
/// Which trials' models a sweep keeps (<c>sweep.keep</c>). Workers keep the selected weights of every finished trial
/// of a sweep that keeps any; once the sweep is over, the coordinator deletes those this rule does not name:
/// <list type="bullet">
/// <item>none: nothing is kept.</item>
/// <item>best: the one trial with the best objective on validation.</item>
/// <item>best-per-cell (the default): in each cell of the default comparison table (initialization, strategy, freeze
/// depth × dataset size), the trials of the configuration the table shows: the best mean objective over seeds, every
/// seed of it kept; in a tuned sweep (<c>sweep.tune</c>), the winner's runs on seeds_after.</item>
/// <item>all: every finished trial.</item>
/// </list>
/// </summary>
public static class KeptModels
{
    public const string None = "none", Best = "best", BestPerCell = "best-per-cell", All = "all";
    public static readonly string[] Names = { None, Best, BestPerCell, All };

    /// <summary>The artifact-store ref that names a trial's kept model.</summary>
    public static string RefName(string trialId) => "model." + trialId;

    /// <summary>
    /// Why a trial has no model to hand out, in one line (the API's 404 and `runner export` say the same):
    /// pruned at the sweep's end, never tested, or a sweep that keeps none.
    /// </summary>
    public static string WhyNone(string trialId, TrialSpec spec, TrialResult? result, TrialStatus status) =>
        result?.ModelSha256 != null ? $"trial {trialId} kept no model: its sweep keeps {spec.Keep} only, and this trial is not among them"
        : spec.KeepsModel ? $"trial {trialId} kept no model: it has no test result ({status.Text()})"
        : $"trial {trialId} kept no model: its sweep keeps none (sweep.keep)";

    /// <summary>Whether the sweep's end decides which models stay (the others were kept only as candidates).</summary>
    public static bool ChosenAtEnd(string? keep) => keep is Best or BestPerCell;

    /// <summary>The ids of the trials whose models stay, among the finished trials given (each with its spec and its objective's score).</summary>
    public static IReadOnlySet<string> Kept(string keep, IReadOnlyList<(TrialSpec Spec, TrialResult Result)> finished)
    {
        var scored = finished.Where(t => double.IsFinite(t.Spec.Objective.Score(t.Result))).ToList();
        return keep switch
        {
            All => finished.Select(t => t.Spec.Id).ToHashSet(),
            Best => scored.OrderByDescending(t => t.Spec.Objective.Score(t.Result)).ThenBy(t => t.Spec.Id, StringComparer.Ordinal)
                .Take(1).Select(t => t.Spec.Id).ToHashSet(),
            BestPerCell => scored.GroupBy(t => Cell(t.Spec)).SelectMany(cell =>
                {
                    var configurations = cell.GroupBy(t => Configuration(t.Spec)).ToDictionary(g => g.Key, g => g.ToList());
                    var chosen = configurations[BestConfiguration(configurations.Select(c => (c.Key, c.Value)), t => t.Spec.Objective.Score(t.Result), t => t.Spec)!];
                    return Shown(chosen, t => t.Spec);
                }).Select(t => t.Spec.Id).ToHashSet(),
            _ => new HashSet<string>(),
        };
    }

    /// <summary>
    /// The configuration a cell shows, the rule by which a comparison table chooses and best-per-cell keeps, written
    /// once: in a tuned cell (<c>sweep.tune</c>) the search's winner, whose runs on seeds_after are marked
    /// (<see cref="TrialSpec.TunedBy"/>); otherwise the best mean score over its trials (the first by name among equals).
    /// </summary>
    public static string? BestConfiguration<T>(IEnumerable<(string Key, List<T> Trials)> configurations, Func<T, double> score, Func<T, TrialSpec> spec)
    {
        var all = configurations.Where(c => c.Trials.Count > 0).ToList();
        var tuned = all.Where(c => c.Trials.Any(t => spec(t).TunedBy != null)).Select(c => c.Key).OrderBy(k => k, StringComparer.Ordinal).FirstOrDefault();
        return tuned ?? all.OrderByDescending(c => c.Trials.Average(score)).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Key).FirstOrDefault();
    }

    /// <summary>
    /// The trials of the chosen configuration a cell's numbers come from: all of them, or in a tuned cell only the
    /// winner's runs on seeds_after (the search's own run was chosen for its validation score, so it would flatter).
    /// </summary>
    public static List<T> Shown<T>(List<T> configuration, Func<T, TrialSpec> spec) =>
        configuration.Any(t => spec(t).TunedBy != null) ? configuration.Where(t => spec(t).TunedBy != null).ToList() : configuration;

    static string Cell(TrialSpec t) => $"{EnumText.Of(t.Initialization)}|{t.StrategyName}|{t.FreezeDepth}|{t.DatasetSize}";

    /// <summary>Everything that makes a trial what it is except its seed (and the pretraining seed of its base): one configuration.</summary>
    static string Configuration(TrialSpec t) =>
        string.Join("\n", t.Canonical().Split('\n').Where(line => !line.StartsWith("seed=", StringComparison.Ordinal) && !line.StartsWith("pretrain=", StringComparison.Ordinal)));
}
