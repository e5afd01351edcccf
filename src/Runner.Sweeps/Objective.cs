using System.Globalization;

namespace Runner.Sweeps;

/// <summary>
/// What a sweep optimizes (<c>sweep.metric</c>): one validation metric and its goal. It is the one rule for "better"
/// wherever Runner compares epochs or trials: the epoch a trial keeps, patience, ASHA's ranking, the configuration a
/// table chooses per cell, and "best so far". Test metrics never take part in any of these.
/// </summary>
public sealed record Objective(string Metric, bool Maximize)
{
    public static readonly Objective Default = new("val_accuracy", true);

    /// <summary>The validation metrics a sweep may optimize, each measured after every epoch.</summary>
    public static readonly string[] Metrics = { "val_accuracy", "val_loss", "val_macro_f1", "val_balanced_accuracy", "val_top5_accuracy" };

    /// <summary>The goal a metric has: a loss goes down, every score goes up.</summary>
    public static bool MaximizedByNature(string metric) => !metric.EndsWith("_loss", StringComparison.Ordinal);

    /// <summary>"val_loss (minimize)".</summary>
    public string Text => $"{Metric} ({(Maximize ? "maximize" : "minimize")})";

    public bool IsDefault => this == Default;

    /// <summary>The metric's value after one epoch; null when it was not measured (older records, top-5 with five classes or fewer).</summary>
    public double? ValueOf(EpochMetrics e) => Metric switch
    {
        "val_accuracy" => e.ValAccuracy,
        "val_loss" => e.ValLoss,
        "val_macro_f1" => e.ValMacroF1,
        "val_balanced_accuracy" => e.ValBalancedAccuracy,
        "val_top5_accuracy" => e.ValTop5Accuracy,
        _ => throw new ArgumentException($"unknown objective metric '{Metric}'"),
    };

    /// <summary>
    /// A value turned so that higher is always better: the negated loss when minimizing. A missing or non-finite
    /// value (a diverged epoch) is the worst there is.
    /// </summary>
    public double Score(double? value) => value is { } v && double.IsFinite(v) ? (Maximize ? v : -v) : double.NegativeInfinity;

    public double Score(EpochMetrics e) => Score(ValueOf(e));

    /// <summary>The trial's value for ranking it among others: its best epoch's; for records from before objectives, the best validation accuracy.</summary>
    public double? ValueOf(TrialResult r) => r.ObjectiveValue ?? (this == Default ? r.BestValAccuracy : null);

    public double Score(TrialResult r) => Score(ValueOf(r));

    /// <summary>The epoch with the best value (the first of equals), or null when none has one.</summary>
    public EpochMetrics? Best(IEnumerable<EpochMetrics> epochs) =>
        epochs.Where(e => double.IsFinite(Score(e))).OrderByDescending(Score).ThenBy(e => e.Epoch).FirstOrDefault();

    /// <summary>"val 91.34%" for the default objective, "val_loss 0.3123" for another: progress lines' "best so far".</summary>
    public static string Short(string? metric, double value)
    {
        var objective = new Objective(metric ?? Default.Metric, MaximizedByNature(metric ?? Default.Metric));
        return $"{(objective.IsDefault ? "val" : objective.Metric)} {objective.Format(value)}";
    }

    /// <summary>A value for people: a percentage for scores, a plain number for a loss.</summary>
    public string Format(double? value) => value is not { } v ? "-"
        : MaximizedByNature(Metric) ? (v * 100).ToString("F2", CultureInfo.InvariantCulture) + "%"
        : v.ToString("F4", CultureInfo.InvariantCulture);
}
