using Runner.Results;
using Runner.Reports.Tables;
using Runner.Sweeps;

namespace Runner.Reports.Report;

/// <summary>
/// Which target classes each configuration gets right: per-class test accuracy (each row's share of its test
/// confusion matrix's diagonal), averaged over the finished trials of each row (initialization × freeze depth, as the
/// main table) at the largest dataset size, over seeds and the other swept parameters.
/// </summary>
public static class PerClassAccuracy
{
    public sealed record Row(string Name, double?[] Accuracy, int Trials);

    public sealed record Table(int DatasetSize, IReadOnlyList<int> Classes, IReadOnlyList<Row> Rows);

    /// <summary>The table, or null when no finished trial recorded a confusion matrix.</summary>
    public static Table? Of(IReadOnlyList<TrialRecord> trials)
    {
        var measured = trials.Where(t => t.Status.HasMetrics() && t.Result?.TestConfusion != null).ToList();
        if (measured.Count == 0) return null;
        int size = measured.Max(t => t.Spec.DatasetSize);
        var classes = measured[0].Spec.TargetClasses;
        var rows = ComparisonTable.DefaultRows(measured);
        var table = measured.Where(t => t.Spec.DatasetSize == size)
            .GroupBy(t => ComparisonTable.KeyText(ComparisonTable.ValuesOf(t, rows)))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var perTrial = g.Select(t => ClassScores.PerClassAccuracy(t.Result!.TestConfusion!)).ToList();
                var mean = Enumerable.Range(0, classes.Length).Select(c =>
                {
                    var values = perTrial.Where(a => c < a.Length && a[c] != null).Select(a => a[c]!.Value).ToList();
                    return values.Count == 0 ? (double?)null : values.Average();
                }).ToArray();
                return new Row(g.Key, mean, g.Count());
            }).ToList();
        return new Table(size, classes, table);
    }
}
