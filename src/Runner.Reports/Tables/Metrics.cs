using Runner.Results;
using Runner.Sweeps;

namespace Runner.Reports.Tables;

/// <summary>The metrics a table can show, read from a finished trial's result.</summary>
public static class Metrics
{
    public static readonly string[] Names =
    {
        "test_accuracy", "test_macro_f1", "test_balanced_accuracy", "test_top5_accuracy", "best_val_accuracy", "last_val_accuracy", "test_loss",
        "seconds", "trainable_parameters",
    };

    /// <summary>Throws for a metric name tables do not know, with the list of those they do.</summary>
    public static void Check(string metric)
    {
        if (!Names.Contains(metric)) throw new ArgumentException($"unknown metric '{metric}'; known: {string.Join(", ", Names)}");
    }

    public static double? Of(TrialResult r, string metric) => metric switch
    {
        "test_accuracy" => r.TestAccuracy,
        "test_macro_f1" => r.TestMacroF1,
        "test_balanced_accuracy" => r.TestBalancedAccuracy,
        "test_top5_accuracy" => r.TestTop5Accuracy,
        "best_val_accuracy" => r.BestValAccuracy,
        "last_val_accuracy" => r.LastValAccuracy,
        "test_loss" => r.TestLoss,
        "seconds" => r.Seconds,
        "trainable_parameters" => r.TrainableParameters,
        _ => throw new ArgumentException($"unknown metric '{metric}'; known: {string.Join(", ", Names)}"),
    };

    /// <summary>Scores in [0, 1], shown as percentages: accuracies and F1.</summary>
    public static bool IsFraction(string metric) => metric.Contains("accuracy", StringComparison.Ordinal) || metric.Contains("f1", StringComparison.Ordinal);

    /// <summary>Mean and sample standard deviation; the spread of a single value is unknown (null), not zero.</summary>
    public static (double Mean, double? Std) MeanStd(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double? std = values.Count < 2 ? null : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return (mean, std);
    }
}
